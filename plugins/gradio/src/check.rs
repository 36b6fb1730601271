//! The gradio-SDK rules and `check`.

use std::collections::BTreeMap;

use spacesmith_plugin_sdk::text::{find_requirement, python_calls, python_imports, python_keyword, python_value};
use spacesmith_plugin_sdk::{
    Finding, FrontMatterText, Project, Rule, RuleDef, Severity, Value, catalogue, finding, front_matter_text, sort_findings,
};

use crate::GRADIO_PORT;

pub(crate) const DEFAULT_APP_FILE: &str = "app.py";
const REQUIREMENTS: &str = "requirements.txt";

pub const APP_FILE_NO_GRADIO: RuleDef = RuleDef {
    id: "gradio/app-file-no-gradio",
    severity: Severity::Warning,
    summary: "The app file does not import gradio",
    explanation: "The gradio SDK expects `app_file` to build a Gradio app; one that never imports gradio usually means `app_file` names the wrong file.",
    fix: "Point `app_file` at the file with `import gradio as gr` and `demo.launch()`.",
};

pub const NO_LAUNCH: RuleDef = RuleDef {
    id: "gradio/no-launch",
    severity: Severity::Warning,
    summary: "The app file never calls launch()",
    explanation: "The Space runs `python <app_file>`; unless it calls `.launch()` nothing listens, and the Space times out while starting.",
    fix: "End the app file with `demo.launch()`.",
};

pub const SHARE_TRUE: RuleDef = RuleDef {
    id: "gradio/share-true",
    severity: Severity::Info,
    summary: "launch(share=True) on a Space",
    explanation: "Share links are not available on Spaces (the Space is already reachable): Gradio ignores the flag there with a warning, so it only adds noise to the logs.",
    fix: "Remove `share=True` from `launch()`.",
};

pub const SERVER_PORT: RuleDef = RuleDef {
    id: "gradio/server-port",
    severity: Severity::Error,
    summary: "launch() sets a server_port other than 7860",
    explanation: "The gradio SDK routes traffic to port 7860 (and sets GRADIO_SERVER_PORT to it); an app that listens elsewhere never gets a request. Other variables such as PORT are not set by the Hub, so a lookup of them gives its fallback.",
    fix: "Remove `server_port` from `launch()` (or set it to 7860).",
};

pub const SERVER_NAME_LOOPBACK: RuleDef = RuleDef {
    id: "gradio/server-name-loopback",
    severity: Severity::Error,
    summary: "launch() binds 127.0.0.1",
    explanation: "The Hub's proxy reaches the app over the container's network interface; `server_name=\"127.0.0.1\"` (or localhost) refuses those connections.",
    fix: "Remove `server_name` from `launch()`: the gradio SDK sets GRADIO_SERVER_NAME=0.0.0.0.",
};

pub const VERSION_MISMATCH: RuleDef = RuleDef {
    id: "gradio/version-mismatch",
    severity: Severity::Warning,
    summary: "requirements.txt pins gradio at another version than sdk_version",
    explanation: "The Space pre-installs gradio at README `sdk_version`; a different pin in requirements.txt replaces it during the build, so the Space runs a version its README does not say (and the Hub's UI and upgrade prompts describe the wrong one).",
    fix: "Remove gradio from requirements.txt and set the version in README `sdk_version` only.",
};

pub const RULES: &[&RuleDef] =
    &[&APP_FILE_NO_GRADIO, &NO_LAUNCH, &SHARE_TRUE, &SERVER_PORT, &SERVER_NAME_LOOPBACK, &VERSION_MISMATCH];

pub fn rules() -> Vec<Rule> {
    catalogue(RULES)
}

pub fn check(project: &Project) -> Vec<Finding> {
    let front_matter = project.front_matter();
    let mut findings = Vec::new();
    let sdk_version = sdk_version(&front_matter);
    app_rules(project, &front_matter, &mut findings);
    if let (Some(sdk_version), Some(requirements)) = (sdk_version, project.text(REQUIREMENTS))
        && let Some(req) = find_requirement(requirements, "gradio")
        && let Some(pinned) = req.pinned
        && pinned != sdk_version
    {
        findings.push(
            finding(&VERSION_MISMATCH, format!("gradio=={pinned} here, but README sdk_version is {sdk_version}"))
                .at(REQUIREMENTS, req.line),
        );
    }
    sort_findings(&mut findings);
    findings
}

/// The version when sdk_version is a string. A missing or unquoted one is a front-matter finding,
/// which the host reports for every SDK (config/missing-sdk-version, config/version-misread).
fn sdk_version(front_matter: &Value) -> Option<&str> {
    match front_matter_text(front_matter, "sdk_version") {
        FrontMatterText::Text(v) => Some(v),
        _ => None,
    }
}

fn app_rules(project: &Project, front_matter: &Value, findings: &mut Vec<Finding>) {
    let app_file = front_matter["app_file"].as_str().unwrap_or(DEFAULT_APP_FILE);
    // A missing app file is the host's common/app-file-missing.
    if !project.has(app_file) {
        return;
    }
    // Not text (too large, binary) or not Python (a notebook, say): nothing more to read.
    let Some(source) = project.text(app_file).filter(|_| app_file.ends_with(".py")) else { return };
    if !python_imports(source, "gradio") {
        findings.push(finding(&APP_FILE_NO_GRADIO, format!("{app_file} does not import gradio")).in_file(app_file));
        return;
    }
    let launches = python_calls(source, ".launch(");
    if launches.is_empty() {
        findings.push(finding(&NO_LAUNCH, format!("{app_file} never calls .launch()")).in_file(app_file));
    }
    // Environment lookups resolve to their defaults: on the Space, GRADIO_SERVER_* are the SDK's own.
    let env = BTreeMap::new();
    for (line, args) in launches {
        if python_keyword(args, "share").is_some_and(|v| v == "True") {
            findings.push(finding(&SHARE_TRUE, "launch(share=True)").at(app_file, line));
        }
        if let Some(value) = python_keyword(args, "server_port")
            && let Some(port) = python_value(Some(value), &env).and_then(|v| v.parse::<u16>().ok())
            && port != GRADIO_PORT
        {
            let fallback = if value.contains("environ") || value.contains("getenv") {
                " (the variable it reads is not set on the Hub, so its fallback is used)"
            } else {
                ""
            };
            findings.push(
                finding(&SERVER_PORT, format!("launch(server_port={value}) listens on {port}{fallback}, not {GRADIO_PORT}"))
                    .at(app_file, line),
            );
        }
        if let Some(value) = python_keyword(args, "server_name")
            && python_value(Some(value), &env).is_some_and(|h| h == "localhost" || h == "::1" || h.starts_with("127."))
        {
            findings.push(finding(&SERVER_NAME_LOOPBACK, format!("launch(server_name={value})")).at(app_file, line));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spacesmith_plugin_sdk::json;
    use spacesmith_plugin_sdk::testing::{assert_catalogue, project};

    const APP: &str = "import gradio as gr\n\ndemo = gr.Interface(lambda x: x, 'text', 'text')\ndemo.launch()\n";

    fn run(files: &[(&str, &str)], fm: Value) -> Vec<(String, Option<String>, Option<u32>)> {
        check(&project(files, Some(fm))).into_iter().map(|f| (f.rule_id, f.path, f.line)).collect()
    }

    fn fm() -> Value {
        json!({"sdk": "gradio", "sdk_version": "6.31.0"})
    }

    fn at(id: &str, path: &str, line: Option<u32>) -> (String, Option<String>, Option<u32>) {
        (id.into(), Some(path.into()), line)
    }

    #[test]
    fn catalogue_is_well_formed() {
        assert_catalogue("gradio", &rules());
    }

    #[test]
    fn a_good_app_passes() {
        assert_eq!(run(&[("app.py", APP)], fm()), []);
        let custom = json!({"sdk": "gradio", "sdk_version": "6.31.0", "app_file": "src/ui.py"});
        assert_eq!(run(&[("src/ui.py", APP)], custom), []);
    }

    #[test]
    fn app_file_rules() {
        // A missing app file is the host's common/app-file-missing: no second finding here.
        assert_eq!(run(&[("main.py", APP)], fm()), []);
        assert_eq!(run(&[("app.py", "import flask\n")], fm()), [at("gradio/app-file-no-gradio", "app.py", None)]);
        assert_eq!(run(&[("app.py", "import gradio as gr\n# demo.launch()\n")], fm()), [at("gradio/no-launch", "app.py", None)]);
        let notebook = json!({"sdk": "gradio", "sdk_version": "6.31.0", "app_file": "app.ipynb"});
        assert_eq!(run(&[("app.ipynb", "{}")], notebook), []);
    }

    #[test]
    fn launch_arguments() {
        let app = "import gradio as gr\nimport os\ndemo = gr.Blocks()\ndemo.queue().launch(\n    share=True,\n    server_port=int(os.getenv('PORT', 8080)),\n    server_name='127.0.0.1',\n)\n";
        assert_eq!(
            run(&[("app.py", app)], fm()),
            [
                at("gradio/server-name-loopback", "app.py", Some(4)),
                at("gradio/server-port", "app.py", Some(4)),
                at("gradio/share-true", "app.py", Some(4))
            ]
        );
        let severities: Vec<Severity> = check(&project(&[("app.py", app)], Some(fm()))).iter().map(|f| f.severity).collect();
        // Gradio ignores share=True on Spaces (info); the port and the address break the Space (errors).
        assert_eq!(severities, [Severity::Error, Severity::Error, Severity::Info]);
        let message = &check(&project(&[("app.py", app)], Some(fm())))[1].message;
        assert!(message.contains("listens on 8080 (the variable it reads is not set on the Hub"), "{message}");
        let fine = "import gradio as gr\ngr.Blocks().launch(share=False, server_port=7860, server_name=\"0.0.0.0\")\n";
        assert_eq!(run(&[("app.py", fine)], fm()), []);
        let env =
            "import gradio as gr\nimport os\ngr.Blocks().launch(server_port=int(os.environ.get('GRADIO_SERVER_PORT', '7860')))\n";
        assert_eq!(run(&[("app.py", env)], fm()), []);
    }

    #[test]
    fn requirements_pin_must_match_sdk_version() {
        let req = "numpy\ngradio==5.0.0\n";
        assert_eq!(
            run(&[("app.py", APP), ("requirements.txt", req)], fm()),
            [at("gradio/version-mismatch", "requirements.txt", Some(2))]
        );
        assert_eq!(run(&[("app.py", APP), ("requirements.txt", "gradio==6.31.0\n")], fm()), []);
        assert_eq!(run(&[("app.py", APP), ("requirements.txt", "gradio>=5\n")], fm()), []);
    }

    #[test]
    fn sdk_version_rules() {
        // Missing or unquoted versions are the host's front-matter findings; nothing twice here, and a
        // numeric version is not compared with requirements.txt.
        assert_eq!(run(&[("app.py", APP)], json!({"sdk": "gradio"})), []);
        let numeric = json!({"sdk": "gradio", "sdk_version": 4.1});
        assert_eq!(run(&[("app.py", APP), ("requirements.txt", "gradio==5.0.0\n")], numeric), []);
        // No front matter at all: the host's own rules report it; no version rules here.
        let none = check(&project(&[("app.py", APP)], None));
        assert!(none.is_empty(), "{none:?}");
    }
}
