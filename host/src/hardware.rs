//! `HardwareResolver`: which hardware flavor names exist. The list known offline is huggingface_hub
//! 2.4.0's; the Hub's own catalogue (`GET /api/spaces/hardware`) is authoritative and is asked only
//! for a name the offline list does not know, so a typo fails fast and a new flavor still works.

use std::sync::Arc;

use spacesmith_hub::HubApi;

use crate::error::{AppError, ErrorCode};

/// Flavors huggingface_hub 2.4.0's `SpaceHardware` knows beyond the documented `suggested_hardware`
/// values (which live with the Space configuration, in spacesmith-spec).
const RUNTIME_ONLY_FLAVORS: [&str; 5] = ["zero-a10g", "rtx-pro-6000", "rtx-pro-6000x2", "rtx-pro-6000x4", "rtx-pro-6000x8"];

/// Every flavor known offline: the documented ones, then the runtime-only ones.
pub fn known_flavors() -> impl Iterator<Item = &'static str> {
    spacesmith_spec::HARDWARE_FLAVORS.into_iter().chain(RUNTIME_ONLY_FLAVORS)
}

pub trait HardwareResolver: Send + Sync {
    /// The flavor name to send, or a usage error naming the nearest valid flavor.
    fn resolve(&self, name: &str) -> Result<String, AppError>;
}

/// The offline list, then (for names it does not know) the Hub's catalogue.
pub struct HubHardware {
    api: Option<Arc<dyn HubApi>>,
}

impl HubHardware {
    pub fn new(api: Option<Arc<dyn HubApi>>) -> Self {
        HubHardware { api }
    }
}

impl HardwareResolver for HubHardware {
    fn resolve(&self, name: &str) -> Result<String, AppError> {
        let wanted = name.trim().to_ascii_lowercase();
        if known_flavors().any(|f| f == wanted) {
            return Ok(wanted);
        }
        let mut names: Vec<String> = known_flavors().map(str::to_string).collect();
        // A typo close to a known name is not worth a request; anything else may be a newer flavor.
        let near = nearest(&wanted, &names);
        if near.as_ref().is_none_or(|(_, d)| *d > 2)
            && let Some(api) = &self.api
            && let Ok(catalogue) = api.hardware_catalogue()
        {
            if catalogue.iter().any(|h| h.name == wanted) {
                return Ok(wanted);
            }
            names.extend(catalogue.into_iter().map(|h| h.name));
        }
        let hint = match nearest(&wanted, &names) {
            Some((n, d)) if d <= (wanted.len() / 2).max(2) => format!("Did you mean `{n}`? Valid flavors: {}.", names.join(", ")),
            _ => format!("Valid flavors: {}.", names.join(", ")),
        };
        Err(AppError::new(ErrorCode::InvalidHardware, format!("unknown hardware flavor `{name}`")).hint(hint))
    }
}

/// The closest name by edit distance.
fn nearest(wanted: &str, names: &[String]) -> Option<(String, usize)> {
    names.iter().map(|n| (n.clone(), spacesmith_spec::edit_distance(wanted, n))).min_by_key(|(_, d)| *d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_pass_and_typos_get_a_suggestion() {
        let r = HubHardware::new(None);
        assert_eq!(r.resolve("T4-small").unwrap(), "t4-small");
        let e = r.resolve("t4-smal").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidHardware);
        assert!(e.hint.unwrap().contains("Did you mean `t4-small`?"));
        let e = r.resolve("quantum-computer").unwrap_err();
        assert!(!e.hint.unwrap().contains("Did you mean"));
    }

    #[test]
    fn a_swapped_pair_is_one_edit() {
        let names = vec!["cpu-basic".to_string(), "t4-small".to_string()];
        assert_eq!(nearest("cpu-bsaic", &names), Some(("cpu-basic".to_string(), 1)));
    }
}
