# Livestorm roles and permissions in Rego, generated from policies/livestorm.policy.
# data.inherits: per scope, each role's direct parents; data.grants: per scope, the
# actions granted to each role directly. A role holds what it and its ancestors hold.
package livestorm

default allow := false

allow if {
    some role in graph.reachable(data.inherits[input.scope], {input.role})
    input.action in data.grants[input.scope][role]
}
