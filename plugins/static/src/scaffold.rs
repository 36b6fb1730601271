//! `scaffold`: README.md, index.html, style.css and script.js served as they are; with `--bundler vite`,
//! a Vite project (index.html, src/, vite.config.js, package.json, .gitignore) that the Hub builds with
//! `npm run build` on each update, serving dist/index.html.

use spacesmith_plugin_sdk::text::{SHORT_DESCRIPTION_MAX, one_line, yaml_str};
use spacesmith_plugin_sdk::{OptionSpec, Options, Plan, PluginError, ScaffoldInput, Template, json};

/// The Vite release line package.json asks for (a caret range of the current major).
pub const VITE_VERSION: &str = "^8.3.8";

/// README `app_build_command` of a `--bundler vite` Space.
pub const BUILD_COMMAND: &str = "npm run build";

/// README `app_file` of a `--bundler vite` Space: Vite writes the page to dist/.
pub const BUILT_APP_FILE: &str = "dist/index.html";

/// The package.json name when nothing usable is left of the project name.
const FALLBACK_NPM_NAME: &str = "space";

/// npm's limit on a package name's length.
const NPM_NAME_MAX: usize = 214;

/// Names npm refuses for a package: Node's core modules and two reserved names.
const RESERVED_NPM_NAMES: [&str; 42] = [
    "assert",
    "buffer",
    "child_process",
    "cluster",
    "console",
    "constants",
    "crypto",
    "dgram",
    "diagnostics_channel",
    "dns",
    "domain",
    "events",
    "favicon.ico",
    "fs",
    "http",
    "http2",
    "https",
    "inspector",
    "module",
    "net",
    "node_modules",
    "os",
    "path",
    "perf_hooks",
    "process",
    "punycode",
    "querystring",
    "readline",
    "repl",
    "stream",
    "string_decoder",
    "sys",
    "timers",
    "tls",
    "trace_events",
    "tty",
    "url",
    "util",
    "v8",
    "vm",
    "worker_threads",
    "zlib",
];

const README: Template = Template::new("static/README.md.tera", include_str!("../templates/README.md.tera"));
const INDEX: Template = Template::new("static/index.html.tera", include_str!("../templates/index.html.tera"));
const STYLE: Template = Template::new("static/style.css.tera", include_str!("../templates/style.css.tera"));
const SCRIPT: Template = Template::new("static/script.js.tera", include_str!("../templates/script.js.tera"));
const PACKAGE_JSON: Template = Template::new("static/package.json.tera", include_str!("../templates/package.json.tera"));
const VITE_CONFIG: Template = Template::new("static/vite.config.js.tera", include_str!("../templates/vite.config.js.tera"));
const GITIGNORE: Template = Template::new("static/gitignore.tera", include_str!("../templates/gitignore.tera"));

pub fn option_specs() -> Vec<OptionSpec> {
    vec![OptionSpec::choice(
        "bundler",
        &["none", "vite"],
        Some("none"),
        "none: index.html, style.css and script.js served as they are; vite: a Vite project the Hub builds with `npm run build` on each update (README app_build_command), serving dist/index.html.",
    )]
}

pub fn plan(input: &ScaffoldInput) -> Result<Plan, PluginError> {
    if input.api {
        return Err(PluginError::new(
            "a static Space only serves files (HTML, CSS, JavaScript): it runs no server, so there is no API to call; \
             use `--sdk gradio` for a Space that is also a client API",
        ));
    }
    let opts = Options::parse(&option_specs(), &input.options)?;
    let vite = match opts.required_text("bundler")? {
        "none" => false,
        "vite" => true,
        other => return Err(PluginError::option("bundler", format!("--bundler takes none or vite (got {other:?})"))),
    };
    let title = one_line(&input.title, &input.project_name);
    let short_description =
        if vite { "A static page that the Hub builds with Vite" } else { "A static HTML page, served as it is" };
    debug_assert!(short_description.chars().count() <= SHORT_DESCRIPTION_MAX);
    let context = json!({
        "title": title,
        "title_yaml": yaml_str(&title),
        "project_name": input.project_name,
        "npm_name": npm_package_name(&input.project_name),
        "short_description_yaml": yaml_str(short_description),
        "emoji": if vite { "⚡" } else { "🌐" },
        "color_from": if vite { "purple" } else { "blue" },
        "color_to": if vite { "yellow" } else { "green" },
        "vite": vite,
        "vite_version": VITE_VERSION,
        "build_command": BUILD_COMMAND,
        "app_file": if vite { BUILT_APP_FILE } else { "index.html" },
        "script": if vite { "src/main.js" } else { "script.js" },
    });
    let mut plan = Plan::new(context);
    plan.template("README.md", README).template("index.html", INDEX);
    if vite {
        plan.template("src/main.js", SCRIPT)
            .template("src/style.css", STYLE)
            .template("package.json", PACKAGE_JSON)
            .template("vite.config.js", VITE_CONFIG)
            .template(".gitignore", GITIGNORE)
            .notice(format!(
                "The Hub runs `{BUILD_COMMAND}` in a job on each update of the Space and serves {BUILT_APP_FILE} from its output; locally, run `npm install && npm run dev`."
            ));
    } else {
        plan.template("script.js", SCRIPT).template("style.css", STYLE);
    }
    Ok(plan)
}

/// A valid npm package name (package.json `name`) made from a project name: lowercase, letters, digits,
/// `-`, `.` and `_` only (anything else becomes `-`), not starting with `.`, `_` or `-`, at most 214
/// characters, not one of the names npm reserves; "space" when nothing is left.
pub fn npm_package_name(project_name: &str) -> String {
    let mut name = String::with_capacity(project_name.len());
    for c in project_name.trim().chars().map(|c| c.to_ascii_lowercase()) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_') { c } else { '-' };
        if !(c == '-' && name.ends_with('-')) {
            name.push(c);
        }
    }
    let trim_end = |name: &str| name.trim_end_matches(['-', '.']).to_string();
    let name = trim_end(name.trim_start_matches(['-', '.', '_']));
    let name = if name.len() > NPM_NAME_MAX { trim_end(&name[..NPM_NAME_MAX]) } else { name };
    if name.is_empty() {
        FALLBACK_NPM_NAME.to_string()
    } else if RESERVED_NPM_NAMES.contains(&name.as_str()) {
        format!("{name}-{FALLBACK_NPM_NAME}")
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::check;
    use spacesmith_plugin_sdk::testing::{self, TeraRenderer, assert_tidy, blocking, file_text as text, project_from_output};
    use spacesmith_plugin_sdk::{OptionValue, ScaffoldOutput, Value};

    fn render(bundler: Option<&str>) -> ScaffoldOutput {
        render_titled("Hello \"world\" & <you>", bundler)
    }

    fn render_titled(title: &str, bundler: Option<&str>) -> ScaffoldOutput {
        let options: Vec<(&str, OptionValue)> =
            bundler.map(|b| ("bundler", OptionValue::Text(b.to_string()))).into_iter().collect();
        let input = testing::input("hello", title, false, &options);
        plan(&input).unwrap().render_with(&TeraRenderer).unwrap()
    }

    fn front_matter(out: &ScaffoldOutput) -> Value {
        serde_json::from_str(&project_from_output(out).front_matter_json.unwrap()).unwrap()
    }

    fn paths(out: &ScaffoldOutput) -> Vec<&str> {
        out.files.iter().map(|f| f.path.as_str()).collect()
    }

    #[test]
    fn generated_projects_pass_their_own_check_and_are_tidy() {
        for bundler in [None, Some("none"), Some("vite")] {
            let out = render(bundler);
            let findings = check(&project_from_output(&out));
            assert!(blocking(&findings).is_empty(), "{bundler:?}: {findings:#?}");
            assert!(findings.is_empty(), "{bundler:?}: {findings:#?}");
            for file in &out.files {
                assert_tidy(&file.path, file.contents_str().unwrap());
            }
            assert!(out.files.iter().all(|f| !f.executable));
            assert!(out.secrets.is_empty() && out.variables.is_empty());
            assert_eq!(out, render(bundler));
        }
        assert_eq!(render(None), render(Some("none")));
    }

    #[test]
    fn plain_pages_are_served_as_they_are() {
        let out = render(None);
        assert_eq!(paths(&out), ["README.md", "index.html", "script.js", "style.css"]);
        assert!(out.notices.is_empty());
        let fm = front_matter(&out);
        assert_eq!(fm["sdk"], "static");
        assert_eq!(fm["app_file"], "index.html");
        assert_eq!(fm["pinned"], false);
        assert_eq!(fm["title"], "Hello \"world\" & <you>");
        assert!(fm.get("app_build_command").is_none() && fm.get("app_port").is_none() && fm.get("sdk_version").is_none());
        assert!(fm["short_description"].as_str().unwrap().chars().count() <= SHORT_DESCRIPTION_MAX);
        let index = text(&out, "index.html");
        assert!(index.starts_with("<!doctype html>\n<html lang=\"en\">\n"), "{index}");
        assert!(index.contains("<meta charset=\"utf-8\">"));
        assert!(index.contains("<link rel=\"stylesheet\" href=\"style.css\">"));
        assert!(index.contains("<script src=\"script.js\" defer></script>"));
        assert!(!index.contains("type=\"module\""));
        let script = text(&out, "script.js");
        assert!(script.contains("window.huggingface?.variables ?? {}"), "{script}");
        assert!(!script.contains("import "));
        assert!(text(&out, "style.css").contains("body {"));
        assert!(!text(&out, "README.md").contains("npm"));
    }

    #[test]
    fn vite_adds_a_build_step() {
        let out = render(Some("vite"));
        assert_eq!(
            paths(&out),
            [".gitignore", "README.md", "index.html", "package.json", "src/main.js", "src/style.css", "vite.config.js"]
        );
        let fm = front_matter(&out);
        assert_eq!(fm["sdk"], "static");
        assert_eq!(fm["app_build_command"], "npm run build");
        assert_eq!(fm["app_file"], "dist/index.html");
        assert!(fm["short_description"].as_str().unwrap().chars().count() <= SHORT_DESCRIPTION_MAX);
        assert!(text(&out, "README.md").contains("sdk: static\napp_build_command: npm run build\napp_file: dist/index.html\n"));

        let package: Value = serde_json::from_str(text(&out, "package.json")).unwrap();
        assert_eq!(package["name"], "hello");
        assert_eq!(package["private"], true);
        assert_eq!(package["type"], "module");
        assert_eq!(package["scripts"]["dev"], "vite");
        assert_eq!(package["scripts"]["build"], "vite build");
        assert_eq!(package["scripts"]["preview"], "vite preview");
        assert_eq!(package["devDependencies"]["vite"], VITE_VERSION);
        assert!(package.get("dependencies").is_none());

        let index = text(&out, "index.html");
        assert!(index.contains("<script type=\"module\" src=\"./src/main.js\"></script>"), "{index}");
        assert!(!index.contains("stylesheet") && !index.contains("script.js"));
        let main = text(&out, "src/main.js");
        assert!(main.starts_with("import \"./style.css\";\n\n"), "{main}");
        assert!(main.contains("window.huggingface?.variables ?? {}"));
        assert!(text(&out, "vite.config.js").contains("base: \"./\","));
        assert!(text(&out, "vite.config.js").contains("outDir: \"dist\","));
        let gitignore = text(&out, ".gitignore");
        assert!(gitignore.lines().any(|l| l == "node_modules/") && gitignore.lines().any(|l| l == "dist/"));
        assert!(text(&out, "README.md").contains("npm run dev"));

        assert_eq!(out.notices.len(), 1);
        let notice = &out.notices[0];
        assert!(notice.contains("`npm run build`") && notice.contains("dist/index.html"), "{notice}");
        assert!(notice.contains("npm install && npm run dev"), "{notice}");
    }

    #[test]
    fn the_title_is_html_escaped_in_pages() {
        for bundler in ["none", "vite"] {
            let out = render_titled("<Tom & \"Jerry\">", Some(bundler));
            let index = text(&out, "index.html");
            assert!(index.contains("<title>&lt;Tom &amp; &quot;Jerry&quot;&gt;</title>"), "{index}");
            assert!(index.contains("<h1>&lt;Tom &amp; &quot;Jerry&quot;&gt;</h1>"), "{index}");
            assert!(!index.contains("<Tom"));
            assert_eq!(front_matter(&out)["title"], "<Tom & \"Jerry\">");
        }
    }

    #[test]
    fn titles_are_data_not_templates() {
        let out = render_titled("{{ vite }} {% if x %}", Some("vite"));
        assert!(text(&out, "README.md").starts_with("---\ntitle: \"{{ vite }} {% if x %}\"\n"));
        assert!(text(&out, "index.html").contains("<title>{{ vite }} {% if x %}</title>"));
        // Blank titles fall back to the project name.
        assert_eq!(front_matter(&render_titled(" \n ", None))["title"], "hello");
    }

    #[test]
    fn api_is_refused() {
        let err = plan(&testing::input("hello", "Hello", true, &[])).unwrap_err();
        assert_eq!(err.option, None);
        assert!(err.message.contains("no API") && err.message.contains("--sdk gradio"), "{}", err.message);
    }

    #[test]
    fn unknown_bundlers_name_the_option() {
        let input = testing::input("hello", "Hello", false, &[("bundler", OptionValue::Text("webpack".into()))]);
        assert_eq!(plan(&input).unwrap_err().option.as_deref(), Some("bundler"));
    }

    #[test]
    fn npm_package_names() {
        for (project, name) in [
            ("hello", "hello"),
            ("My Space", "my-space"),
            ("my_space.v2", "my_space.v2"),
            ("  Über  Cool!!  Space ", "ber-cool-space"),
            ("--.Hidden", "hidden"),
            ("_private", "private"),
            ("a/b", "a-b"),
            ("trailing-", "trailing"),
            ("🚀", "space"),
            ("", "space"),
            ("...", "space"),
            ("HTTP", "http-space"),
            ("node_modules", "node_modules-space"),
        ] {
            assert_eq!(npm_package_name(project), name, "{project:?}");
        }
        let long = npm_package_name(&"a".repeat(300));
        assert_eq!(long.len(), NPM_NAME_MAX);
        assert_eq!(npm_package_name(&format!("{}-b", "a".repeat(213))), "a".repeat(213));
        let out = plan(&testing::input("Mon Projet", "T", false, &[("bundler", OptionValue::Text("vite".into()))]))
            .unwrap()
            .render_with(&TeraRenderer)
            .unwrap();
        assert!(text(&out, "package.json").contains("\"name\": \"mon-projet\","));
    }
}
