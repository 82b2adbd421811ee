//! The table both negative-vector files (`group_negative.json`,
//! `negative.json`) are built from: each case is run as it is added, its
//! outcome must be the one the generator meant, and names are unique.

use serde_json::{Value, json};

/// Cases in file order, with the outcome each produced.
#[derive(Default)]
pub(super) struct CaseTable {
    pub(super) inputs: Vec<Value>,
    pub(super) expected: Vec<Value>,
}

impl CaseTable {
    /// Adds a case; `kind` is what the generator means it to produce
    /// ("ok", or the innermost error); `run` gives its outcome.
    pub(super) fn add(
        &mut self,
        name: &str,
        about: &str,
        kind: &str,
        mut case: Value,
        run: impl FnOnce(&Value) -> Value,
    ) {
        case["name"] = json!(name);
        case["about"] = json!(about);
        let outcome = run(&case);
        let got = if outcome["result"] == "ok" {
            "ok"
        } else {
            outcome["kind"].as_str().expect("kind")
        };
        assert_eq!(got, kind, "case {name}: {outcome}");
        assert!(
            !self.inputs.iter().any(|c| c["name"] == name),
            "case {name} twice"
        );
        let mut expected = json!({"name": name});
        for (k, v) in outcome.as_object().expect("object") {
            expected[k] = v.clone();
        }
        self.inputs.push(case);
        self.expected.push(expected);
    }
}
