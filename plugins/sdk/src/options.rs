//! Option specs (what a plugin accepts) and typed access to the values the host passes to `scaffold`.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use crate::{IntRange, NamedValue, OptionKind, OptionSpec, OptionValue, PluginError};

/// URL schemes an `url` option accepts (the contract's list).
const URL_SCHEMES: [&str; 5] = ["https", "http", "ssh", "git", "file"];

impl OptionSpec {
    /// A boolean option: `--name` / `--no-name` on the command line.
    pub fn flag(name: &str, default: bool, help: &str) -> Self {
        Self::new(name, OptionKind::Flag, Some(OptionValue::Flag(default)), help)
    }

    /// A free-text option, unset unless `default` is given.
    pub fn text(name: &str, default: Option<&str>, help: &str) -> Self {
        Self::new(name, OptionKind::Text, default.map(|d| OptionValue::Text(d.to_string())), help)
    }

    /// A whole number within `range`.
    pub fn integer(name: &str, range: RangeInclusive<i64>, default: Option<i64>, help: &str) -> Self {
        let kind = OptionKind::Integer(IntRange { min: *range.start(), max: *range.end() });
        Self::new(name, kind, default.map(OptionValue::Integer), help)
    }

    /// One of `choices`.
    pub fn choice(name: &str, choices: &[&str], default: Option<&str>, help: &str) -> Self {
        let kind = OptionKind::Choice(choices.iter().map(|c| c.to_string()).collect());
        Self::new(name, kind, default.map(|d| OptionValue::Text(d.to_string())), help)
    }

    /// An absolute URL (https, http, ssh, git or file), unset unless the user gives it.
    pub fn url(name: &str, help: &str) -> Self {
        Self::new(name, OptionKind::Url, None, help)
    }

    fn new(name: &str, kind: OptionKind, default_value: Option<OptionValue>, help: &str) -> Self {
        Self { name: name.to_string(), kind, default_value, help: help.to_string() }
    }
}

/// The option values of one `scaffold` call, checked against the plugin's specs, with defaults merged.
///
/// The host already validates and merges defaults; doing it again here keeps a plugin's behaviour
/// defined (an error naming the option rather than a silent fallback) whatever calls it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Options {
    values: BTreeMap<String, OptionValue>,
}

impl Options {
    /// Checks `given` against `specs` and merges the specs' defaults for the options not given.
    pub fn parse(specs: &[OptionSpec], given: &[NamedValue]) -> Result<Self, PluginError> {
        let mut values = BTreeMap::new();
        for named in given {
            let Some(spec) = specs.iter().find(|s| s.name == named.name) else {
                return Err(PluginError::option(&named.name, format!("unknown option --{}", named.name)));
            };
            check_value(spec, &named.value)?;
            if values.insert(named.name.clone(), named.value.clone()).is_some() {
                return Err(PluginError::option(&named.name, format!("--{} is given twice", named.name)));
            }
        }
        for spec in specs {
            if let (false, Some(default)) = (values.contains_key(&spec.name), &spec.default_value) {
                values.insert(spec.name.clone(), default.clone());
            }
        }
        Ok(Self { values })
    }

    /// The value of a flag; `false` when it is unset.
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.values.get(name), Some(OptionValue::Flag(true)))
    }

    /// The value of a text, choice or URL option; `None` when it is unset.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.values.get(name) {
            Some(OptionValue::Text(t)) => Some(t),
            _ => None,
        }
    }

    /// The value of an integer option; `None` when it is unset.
    pub fn integer(&self, name: &str) -> Option<i64> {
        match self.values.get(name) {
            Some(OptionValue::Integer(i)) => Some(*i),
            _ => None,
        }
    }

    /// The value of a text option that must be set (it has a default, or the plugin needs it).
    pub fn required_text(&self, name: &str) -> Result<&str, PluginError> {
        self.text(name).ok_or_else(|| PluginError::option(name, format!("--{name} is required")))
    }

    /// The value of an integer option that must be set.
    pub fn required_integer(&self, name: &str) -> Result<i64, PluginError> {
        self.integer(name).ok_or_else(|| PluginError::option(name, format!("--{name} is required")))
    }
}

/// Checks one value against its spec's kind.
fn check_value(spec: &OptionSpec, value: &OptionValue) -> Result<(), PluginError> {
    let name = &spec.name;
    let wrong = |what: &str| PluginError::option(name, format!("--{name} takes {what}"));
    match (&spec.kind, value) {
        (OptionKind::Text, OptionValue::Text(_)) | (OptionKind::Flag, OptionValue::Flag(_)) => Ok(()),
        (OptionKind::Integer(range), OptionValue::Integer(i)) => {
            if (range.min..=range.max).contains(i) {
                Ok(())
            } else {
                Err(wrong(&format!("a number from {} to {} (got {i})", range.min, range.max)))
            }
        }
        (OptionKind::Choice(choices), OptionValue::Text(t)) => {
            if choices.iter().any(|c| c == t) {
                Ok(())
            } else {
                Err(wrong(&format!("one of {} (got \"{t}\")", choices.join(", "))))
            }
        }
        (OptionKind::Url, OptionValue::Text(t)) => {
            if is_absolute_url(t) {
                Ok(())
            } else {
                Err(wrong(&format!("an absolute {} URL (got \"{t}\")", URL_SCHEMES.join("/"))))
            }
        }
        (OptionKind::Text, _) => Err(wrong("text")),
        (OptionKind::Flag, _) => Err(wrong("true or false")),
        (OptionKind::Integer(_), _) => Err(wrong("a whole number")),
        (OptionKind::Choice(choices), _) => Err(wrong(&format!("one of {}", choices.join(", ")))),
        (OptionKind::Url, _) => Err(wrong("a URL")),
    }
}

/// `scheme://rest` with one of the contract's schemes and something after the `//`.
fn is_absolute_url(text: &str) -> bool {
    !text.contains(char::is_whitespace)
        && text
            .split_once("://")
            .is_some_and(|(scheme, rest)| URL_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()) && !rest.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs() -> Vec<OptionSpec> {
        vec![
            OptionSpec::integer("port", 1024..=65535, Some(7860), "port"),
            OptionSpec::flag("fastapi", true, "fastapi"),
            OptionSpec::choice("python-version", &["3.11", "3.12"], Some("3.12"), "python"),
            OptionSpec::url("from-git", "repo"),
            OptionSpec::text("start-command", Some("python app.py"), "cmd"),
        ]
    }

    fn named(name: &str, value: OptionValue) -> NamedValue {
        NamedValue { name: name.into(), value }
    }

    #[test]
    fn defaults_are_merged_and_unset_options_stay_unset() {
        let opts = Options::parse(&specs(), &[]).unwrap();
        assert_eq!(opts.integer("port"), Some(7860));
        assert!(opts.flag("fastapi"));
        assert_eq!(opts.text("python-version"), Some("3.12"));
        assert_eq!(opts.text("from-git"), None);
        assert_eq!(opts.text("start-command"), Some("python app.py"));
        assert_eq!(opts.required_text("from-git").unwrap_err().option.as_deref(), Some("from-git"));
    }

    #[test]
    fn given_values_override_defaults() {
        let given = [
            named("fastapi", OptionValue::Flag(false)),
            named("port", OptionValue::Integer(8080)),
            named("from-git", OptionValue::Text("https://github.com/a/b".into())),
        ];
        let opts = Options::parse(&specs(), &given).unwrap();
        assert!(!opts.flag("fastapi"));
        assert_eq!(opts.required_integer("port").unwrap(), 8080);
        assert_eq!(opts.text("from-git"), Some("https://github.com/a/b"));
    }

    #[test]
    fn invalid_values_name_the_option() {
        let cases = [
            named("port", OptionValue::Integer(80)),
            named("port", OptionValue::Text("80".into())),
            named("fastapi", OptionValue::Integer(1)),
            named("python-version", OptionValue::Text("2.7".into())),
            named("from-git", OptionValue::Text("github.com/a/b".into())),
            named("from-git", OptionValue::Text("ftp://x/y".into())),
            named("nope", OptionValue::Flag(true)),
        ];
        for case in cases {
            let err = Options::parse(&specs(), std::slice::from_ref(&case)).unwrap_err();
            assert_eq!(err.option.as_deref(), Some(case.name.as_str()), "{}", err.message);
            assert!(err.message.contains(&format!("--{}", case.name)), "{}", err.message);
        }
    }

    #[test]
    fn an_option_given_twice_is_an_error() {
        let given = [named("port", OptionValue::Integer(8000)), named("port", OptionValue::Integer(9000))];
        assert!(Options::parse(&specs(), &given).unwrap_err().message.contains("twice"));
    }

    #[test]
    fn url_schemes_follow_the_contract() {
        for ok in ["https://h/r", "HTTP://h/r", "ssh://git@h/r", "git://h/r", "file:///srv/r"] {
            assert!(is_absolute_url(ok), "{ok}");
        }
        for bad in ["git@github.com:a/b.git", "https://", "s3://b/k", "/srv/repo", "https://h/a b"] {
            assert!(!is_absolute_url(bad), "{bad}");
        }
    }
}
