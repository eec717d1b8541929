//! Going on past a batch whose validation failed: the dialog lists the blocking
//! findings and is confirmed only by typing the failed batch's name; what it sends is
//! the apply the operator asked for, with the reason the engine records.

use super::{Outcome, TypedConfirm};
use crate::ui::state::{Action, Effect};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForceDialog {
    /// The failed batch (0-based).
    pub batch: usize,
    /// It in words: "batch 1 simple-replacements".
    pub what: String,
    /// What the apply would start, in words: "batch 2 service-layer", "0005".
    pub next: String,
    /// The failed validation's findings, one line each, worst first.
    pub findings: Vec<String>,
    pub confirm: TypedConfirm<Effect>,
}

/// The reason recorded with the override (the engine adds the operator).
pub fn reason(name: &str) -> String {
    format!("confirmed in the cockpit by typing {name}")
}

impl ForceDialog {
    /// `apply`: what the operator asked for (`ApplyTo` or `ApplyBatch`); confirmed, it
    /// goes with the override.
    pub fn new(
        batch: usize,
        name: &str,
        next: String,
        findings: Vec<String>,
        apply: &Effect,
    ) -> ForceDialog {
        let (to, number) = match apply {
            Effect::ApplyTo(v) => (Some(v.clone()), None),
            Effect::ApplyBatch(n) => (None, Some(*n)),
            _ => (None, None),
        };
        let effect = Effect::ApplyForced {
            to,
            batch: number,
            reason: reason(name),
        };
        let what = format!("batch {} {name}", batch + 1);
        let prompt = format!("Go on past the failed validation of {what}");
        ForceDialog {
            batch,
            what,
            next,
            findings,
            confirm: TypedConfirm::new(prompt, name, effect),
        }
    }

    pub fn handle(&mut self, a: Action) -> Outcome<Effect> {
        self.confirm.handle(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_batch_name_sends_the_apply_with_its_reason() {
        let mut d = ForceDialog::new(
            0,
            "simple",
            "batch 2 two".into(),
            vec![],
            &Effect::ApplyBatch(2),
        );
        for c in "two".chars() {
            d.handle(Action::Type(c));
        }
        assert_eq!(d.handle(Action::Submit), Outcome::Changed);
        assert!(d.confirm.error.is_some());
        for c in "simple".chars() {
            d.handle(Action::Type(c));
        }
        assert_eq!(
            d.handle(Action::Submit),
            Outcome::Confirmed(Effect::ApplyForced {
                to: None,
                batch: Some(2),
                reason: "confirmed in the cockpit by typing simple".into()
            })
        );
    }
}
