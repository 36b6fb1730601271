//! Rules for legacy `sdk: streamlit` repositories. (The host reports the SDK itself as deprecated; a
//! Streamlit app in a Docker Space is checked by the docker plugin.)

use spacesmith_plugin_sdk::text::{find_requirement, python_imports, toml_value};
use spacesmith_plugin_sdk::{
    Finding, FrontMatterText, Project, Rule, RuleDef, Severity, Value, catalogue, finding, front_matter_text, sort_findings,
};

use crate::STREAMLIT_PORT;

pub(crate) const DEFAULT_APP_FILE: &str = "app.py";
const README: &str = "README.md";
const REQUIREMENTS: &str = "requirements.txt";
const CONFIG: &str = ".streamlit/config.toml";

pub const MIGRATE_TO_DOCKER: RuleDef = RuleDef {
    id: "streamlit/migrate-to-docker",
    severity: Severity::Info,
    summary: "How to move this Space to the Docker SDK",
    explanation: "The Hub no longer offers the Streamlit SDK for new Spaces; existing ones keep running, but the supported way to run Streamlit is a Docker Space.",
    fix: "Run `spacesmith new <dir> --sdk streamlit`, copy its Dockerfile, .streamlit/config.toml and README front matter (sdk: docker, app_port: 8501) into this repository, and pin streamlit in requirements.txt.",
};

pub const APP_FILE_NO_STREAMLIT: RuleDef = RuleDef {
    id: "streamlit/app-file-no-streamlit",
    severity: Severity::Warning,
    summary: "The app file does not import streamlit",
    explanation: "`app_file` is run with `streamlit run`; a script that never imports streamlit shows an empty page, which usually means `app_file` names the wrong file.",
    fix: "Point `app_file` at the script with `import streamlit as st`.",
};

pub const PORT_OVERRIDDEN: RuleDef = RuleDef {
    id: "streamlit/port-overridden",
    severity: Severity::Error,
    summary: ".streamlit/config.toml moves the server off port 8501",
    explanation: "Streamlit Spaces are only reachable on port 8501; a `server.port` override in .streamlit/config.toml makes the app listen where no traffic arrives.",
    fix: "Remove `port` from the [server] table of .streamlit/config.toml (or set it to 8501).",
};

pub const ADDRESS_LOOPBACK: RuleDef = RuleDef {
    id: "streamlit/address-loopback",
    severity: Severity::Error,
    summary: ".streamlit/config.toml binds the server to localhost",
    explanation: "The Hub's proxy reaches the app over the container's network interface; `server.address = \"localhost\"` (or 127.0.0.1) refuses those connections.",
    fix: "Remove `address` from the [server] table of .streamlit/config.toml (Streamlit then listens on every interface).",
};

pub const VERSION_MISMATCH: RuleDef = RuleDef {
    id: "streamlit/version-mismatch",
    severity: Severity::Warning,
    summary: "requirements.txt pins streamlit at another version than sdk_version",
    explanation: "The Space installs Streamlit at README `sdk_version`; a different pin in requirements.txt replaces it during the build, so the Space runs a version its README does not say.",
    fix: "Remove streamlit from requirements.txt and set the version in README `sdk_version` only.",
};

pub const RULES: &[&RuleDef] =
    &[&MIGRATE_TO_DOCKER, &APP_FILE_NO_STREAMLIT, &PORT_OVERRIDDEN, &ADDRESS_LOOPBACK, &VERSION_MISMATCH];

pub fn rules() -> Vec<Rule> {
    catalogue(RULES)
}

pub fn check(project: &Project) -> Vec<Finding> {
    let front_matter = project.front_matter();
    let mut findings = vec![
        finding(&MIGRATE_TO_DOCKER, "this Space uses the deprecated Streamlit SDK; a Docker Space runs the same app")
            .in_file(README),
    ];
    app_rules(project, &front_matter, &mut findings);
    config_rules(project, &mut findings);
    // A missing or unquoted sdk_version is a front-matter finding, which the host reports.
    let sdk_version = match front_matter_text(&front_matter, "sdk_version") {
        FrontMatterText::Text(v) => Some(v),
        _ => None,
    };
    if let (Some(sdk_version), Some(requirements)) = (sdk_version, project.text(REQUIREMENTS))
        && let Some(req) = find_requirement(requirements, "streamlit")
        && let Some(pinned) = req.pinned
        && pinned != sdk_version
    {
        findings.push(
            finding(&VERSION_MISMATCH, format!("streamlit=={pinned} here, but README sdk_version is {sdk_version}"))
                .at(REQUIREMENTS, req.line),
        );
    }
    sort_findings(&mut findings);
    findings
}

fn app_rules(project: &Project, front_matter: &Value, findings: &mut Vec<Finding>) {
    let app_file = front_matter["app_file"].as_str().unwrap_or(DEFAULT_APP_FILE);
    // A missing app file is the host's common/app-file-missing.
    if !project.has(app_file) {
        return;
    }
    if let Some(source) = project.text(app_file).filter(|_| app_file.ends_with(".py"))
        && !python_imports(source, "streamlit")
    {
        findings.push(finding(&APP_FILE_NO_STREAMLIT, format!("{app_file} does not import streamlit")).in_file(app_file));
    }
}

fn config_rules(project: &Project, findings: &mut Vec<Finding>) {
    let Some(config) = project.text(CONFIG) else { return };
    if let Some((line, port)) = toml_value(config, "server", "port")
        && port.parse::<u16>().ok() != Some(STREAMLIT_PORT)
    {
        findings.push(finding(&PORT_OVERRIDDEN, format!("server.port = {port}, not {STREAMLIT_PORT}")).at(CONFIG, line));
    }
    if let Some((line, address)) = toml_value(config, "server", "address")
        && (address == "localhost" || address == "::1" || address.starts_with("127."))
    {
        findings.push(finding(&ADDRESS_LOOPBACK, format!("server.address = \"{address}\"")).at(CONFIG, line));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spacesmith_plugin_sdk::json;
    use spacesmith_plugin_sdk::testing::{assert_catalogue, project};

    const APP: &str = "import streamlit as st\nst.title('hi')\n";

    fn run(files: &[(&str, &str)], fm: Value) -> Vec<(String, Option<String>, Option<u32>)> {
        check(&project(files, Some(fm)))
            .into_iter()
            .filter(|f| f.rule_id != MIGRATE_TO_DOCKER.id)
            .map(|f| (f.rule_id, f.path, f.line))
            .collect()
    }

    fn fm() -> Value {
        json!({"sdk": "streamlit", "sdk_version": "1.40.0"})
    }

    fn at(id: &str, path: &str, line: Option<u32>) -> (String, Option<String>, Option<u32>) {
        (id.into(), Some(path.into()), line)
    }

    #[test]
    fn catalogue_is_well_formed() {
        assert_catalogue("streamlit", &rules());
    }

    #[test]
    fn a_good_legacy_space_gets_only_the_migration_hint() {
        let findings = check(&project(&[("app.py", APP)], Some(fm())));
        assert_eq!(findings.len(), 1);
        assert_eq!((findings[0].rule_id.as_str(), findings[0].severity), ("streamlit/migrate-to-docker", Severity::Info));
    }

    #[test]
    fn app_file_rules() {
        // A missing app file is the host's common/app-file-missing: no second finding here.
        assert_eq!(run(&[("main.py", APP)], fm()), []);
        assert_eq!(run(&[("app.py", "print('hi')\n")], fm()), [at("streamlit/app-file-no-streamlit", "app.py", None)]);
        let custom = json!({"sdk": "streamlit", "sdk_version": "1.40.0", "app_file": "src/main.py"});
        assert_eq!(run(&[("src/main.py", APP)], custom), []);
    }

    #[test]
    fn config_must_keep_port_8501_and_all_interfaces() {
        let config = "[server]\nport = 8080\naddress = \"localhost\"\n";
        assert_eq!(
            run(&[("app.py", APP), (".streamlit/config.toml", config)], fm()),
            [
                at("streamlit/port-overridden", ".streamlit/config.toml", Some(2)),
                at("streamlit/address-loopback", ".streamlit/config.toml", Some(3))
            ]
        );
        let fine = "[server]\nport = 8501\nheadless = true\n[theme]\nbase = \"dark\"\n";
        assert_eq!(run(&[("app.py", APP), (".streamlit/config.toml", fine)], fm()), []);
    }

    #[test]
    fn versions() {
        // Missing or unquoted versions are the host's front-matter findings: nothing twice here.
        assert_eq!(run(&[("app.py", APP)], json!({"sdk": "streamlit"})), []);
        assert_eq!(run(&[("app.py", APP)], json!({"sdk": "streamlit", "sdk_version": 1.4})), []);
        let req = "pandas\nstreamlit==1.30.0\n";
        assert_eq!(
            run(&[("app.py", APP), ("requirements.txt", req)], fm()),
            [at("streamlit/version-mismatch", "requirements.txt", Some(2))]
        );
        assert_eq!(run(&[("app.py", APP), ("requirements.txt", "streamlit==1.40.0\n")], fm()), []);
    }
}
