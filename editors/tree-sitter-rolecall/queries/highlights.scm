; Highlighting for rolecall policies. Every keyword of grammar/rolecall.pest is named here, as a
; quoted word (tests/it/editors.rs checks it); `tree-sitter test` runs test/highlight/.

(comment) @comment

(string) @string
(label (string) @string.special)
(escape_sequence) @string.escape
(integer) @number

[
  "policy"
  "source"
  "note"
  "include"
  "fact"
  "kind"
  "setting"
  "value"
  "scope"
  "role"
  "action"
  "section"
  "group"
  "to"
  "joins"
  "as"
  "default"
  "assignable"
  "limit"
  "advise"
  "per"
  "participants"
  "at"
  "most"
  "least"
  "exactly"
  "on"
  "target"
  "participant"
  "self"
  "others"
  "below"
  "above"
  "between"
  "unlimited"
  "url"
  "date"
  "lang"
] @keyword

"also" @keyword

["allow" "deny" "forbid"] @keyword.control

[
  "when"
  "and"
  "or"
  "not"
  "is"
] @keyword.operator

["true" "false"] @boolean
"none" @constant.builtin

; `everyone`: a contextual word (docs/language.md §4.20), a name everywhere else; the patterns
; for role names leave it out, as editors differ on which of two matching patterns wins.
((identifier) @variable.builtin
  (#eq? @variable.builtin "everyone"))

(scope_decl name: (identifier) @module)
(override_decl scope: (identifier) @module)
(override_decl from: (name_ref scope: (identifier) name: (identifier) @type))
(override_decl from: (name_ref !scope name: (identifier) @constant)
  (#not-eq? @constant "everyone"))
(name_ref scope: (identifier) @module)

(role_decl name: (identifier) @type)
(target_role role: (identifier) @type)
(role_decl parents: (name_list (name_ref name: (identifier) @type)))
(rule roles: (name_list (name_ref name: (identifier) @type))
  (#not-eq? @type "everyone"))
(override_decl role: (identifier) @type)
(default_decl role: (identifier) @type)
(assignable_decl roles: (ident_list (identifier) @type))
(limit_decl role: (identifier) @type)
(advise_decl role: (identifier) @type)

(action_decl name: (identifier) @function)
(group_decl name: (identifier) @function)
(group_decl actions: (ident_list (identifier) @function))
(section_decl name: (identifier) @function)
(rule actions: (name_list (name_ref name: (identifier) @function)))

(fact_decl name: (identifier) @constant)
(fact_ref (identifier) @constant)

(kind_decl name: (identifier) @type.builtin)
(kind_test kinds: (ident_list (identifier) @type.builtin))
(target_kind_test kinds: (ident_list (identifier) @type.builtin))
(default_decl kind: (identifier) @type.builtin)
(assignable_decl kind: (identifier) @type.builtin)

(setting_decl name: (identifier) @property)
(setting_test setting: (identifier) @property)
(setting_value name: (identifier) @constant)
(setting_default value: (identifier) @constant)
(setting_test values: (ident_list (identifier) @constant))

[":" "," "=" "."] @punctuation.delimiter
["{" "}" "(" ")"] @punctuation.bracket
