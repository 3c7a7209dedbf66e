//! The documentation cannot lie: every `rolecall` code block in the docs compiles.

use super::support::root;

fn blocks(markdown: &str, info: &str) -> Vec<String> {
    let fence = format!("```{info}\n");
    let mut out = Vec::new();
    let mut rest = markdown;
    while let Some(start) = rest.find(&fence) {
        let body = &rest[start + fence.len()..];
        let end = body.find("\n```").map_or(body.len(), |e| e + 1);
        out.push(body[..end].to_string());
        rest = &body[end..];
    }
    out
}

#[test]
fn every_policy_example_in_the_docs_compiles() {
    let mut checked = 0;
    for doc in ["README.md", "docs/language.md"] {
        let text = std::fs::read_to_string(root().join(doc)).expect("doc");
        for (i, block) in blocks(&text, "rolecall").into_iter().enumerate() {
            if let Err(errors) = rolecall::compile_str(&format!("{doc} block {}", i + 1), &block) {
                panic!(
                    "{doc}: example {} does not compile:\n{}",
                    i + 1,
                    super::support::render_all(&errors)
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} examples found");
}
