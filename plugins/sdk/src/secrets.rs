//! The secrets a project's code reads, as the contract's `secrets` answers them: the default of every
//! [`SdkPlugin`](crate::SdkPlugin). The reading itself is [`spacesmith_readers::secrets::scan`], the one
//! the host uses too (Dockerfile secret mounts, Python, shell and JavaScript environment reads).

use crate::{Location, Project, SecretSpec, SecretStage};

/// The secrets the project's text files read, sorted by name: a build secret when a Dockerfile mounts it
/// (`RUN --mount=type=secret,id=X`), else a runtime one; required when some read has no default. Files
/// the host truncated or that are not UTF-8 are skipped.
pub fn scan(project: &Project) -> Vec<SecretSpec> {
    let files = project.files.iter().filter_map(|f| Some((f.path.as_str(), f.text()?)));
    spacesmith_readers::secrets::scan(files)
        .into_iter()
        .map(|found| SecretSpec {
            why: found.why(),
            stage: if found.build { SecretStage::Build } else { SecretStage::Runtime },
            required: found.required,
            found_in: found.found_in.into_iter().map(|(path, line)| Location { path, line: Some(line) }).collect(),
            name: found.name,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProjectFile;

    fn project(files: &[(&str, &str)]) -> Project {
        let files = files
            .iter()
            .map(|(p, t)| ProjectFile { path: p.to_string(), contents: t.as_bytes().to_vec(), truncated: false })
            .collect();
        Project { files, front_matter_json: None }
    }

    #[test]
    fn reads_become_secret_specs_with_their_locations() {
        let p = project(&[
            ("Dockerfile", "FROM x\nRUN --mount=type=secret,id=GIT_TOKEN,required=true git clone\n"),
            ("app.py", "import os\nkey = os.environ.get(\"OPENAI_API_KEY\", \"\")\nport = os.environ[\"PORT\"]\n"),
        ]);
        let specs = scan(&p);
        assert_eq!(specs.len(), 2, "{specs:?}");
        let git = &specs[0];
        assert_eq!((git.name.as_str(), git.stage, git.required), ("GIT_TOKEN", SecretStage::Build, true));
        assert_eq!(git.found_in, [Location { path: "Dockerfile".into(), line: Some(2) }]);
        assert!(git.why.contains("Dockerfile:2"), "{}", git.why);
        let key = &specs[1];
        assert_eq!((key.name.as_str(), key.stage, key.required), ("OPENAI_API_KEY", SecretStage::Runtime, false));
        assert_eq!(key.found_in, [Location { path: "app.py".into(), line: Some(2) }]);
    }

    #[test]
    fn unreadable_files_are_skipped() {
        let mut p = project(&[("app.py", "os.environ['API_TOKEN']\n")]);
        p.files[0].truncated = true;
        p.files.push(ProjectFile { path: "b.py".into(), contents: vec![0xff, b'$'], truncated: false });
        assert_eq!(scan(&p), []);
    }
}
