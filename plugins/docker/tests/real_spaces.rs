//! The Docker rules on repositories shaped like public Hugging Face Spaces (FastAPI, Gradio and Streamlit
//! in Docker, Node, nginx, multi-stage builds, with and without a user): a Space the Hub builds and runs
//! gets no error; one that breaks gets the error that says why, at the line that causes it.

use spacesmith_plugin_docker::check::check;
use spacesmith_plugin_sdk::testing::project;
use spacesmith_plugin_sdk::{Severity, json};

/// (rule, file, line) of every finding, with its severity.
fn findings(files: &[(&str, &str)], app_port: Option<u16>) -> Vec<(String, Severity, String, Option<u32>)> {
    let fm = match app_port {
        Some(port) => json!({"sdk": "docker", "app_port": port}),
        None => json!({"sdk": "docker"}),
    };
    check(&project(files, Some(fm))).into_iter().map(|f| (f.rule_id, f.severity, f.path.unwrap_or_default(), f.line)).collect()
}

/// The errors only: what makes `deploy` refuse.
fn errors(files: &[(&str, &str)], app_port: Option<u16>) -> Vec<(String, String, Option<u32>)> {
    findings(files, app_port)
        .into_iter()
        .filter(|(_, severity, _, _)| *severity == Severity::Error)
        .map(|(rule, _, path, line)| (rule, path, line))
        .collect()
}

fn err(rule: &str, path: &str, line: u32) -> (String, String, Option<u32>) {
    (format!("docker/{rule}"), path.to_string(), Some(line))
}

fn rules(files: &[(&str, &str)], app_port: Option<u16>) -> Vec<String> {
    findings(files, app_port).into_iter().map(|(rule, ..)| rule).collect()
}

/// The FastAPI template most Docker Spaces start from, without the user it recommends.
const FASTAPI_NO_USER: &str = "# read the doc: https://huggingface.co/docs/hub/spaces-sdks-docker
FROM python:3.9

WORKDIR /code

COPY ./requirements.txt /code/requirements.txt

RUN pip install --no-cache-dir --upgrade -r /code/requirements.txt

COPY . .

CMD [\"uvicorn\", \"main:app\", \"--host\", \"0.0.0.0\", \"--port\", \"7860\"]
";

const FASTAPI_MAIN: &str = "from fastapi import FastAPI

app = FastAPI()


@app.get(\"/\")
def read_root():
    return {\"Hello\": \"World!\"}
";

#[test]
fn a_working_space_without_a_user_gets_a_warning_not_an_error() {
    let files = [("Dockerfile", FASTAPI_NO_USER), ("main.py", FASTAPI_MAIN)];
    let found = findings(&files, None);
    assert_eq!(
        found,
        [
            ("docker/no-user".into(), Severity::Warning, "Dockerfile".into(), Some(2)),
            ("docker/python-buffered".into(), Severity::Info, "Dockerfile".into(), Some(2)),
        ]
    );
}

#[test]
fn no_user_is_an_error_only_when_the_app_writes_where_uid_1000_cannot() {
    // The app makes its upload folder next to the code when uvicorn imports it: /code belongs to root.
    let writes = "import os\nfrom fastapi import FastAPI\n\nUPLOAD_DIR = \"uploads\"\nos.makedirs(UPLOAD_DIR, exist_ok=True)\napp = FastAPI()\n";
    let files = [("Dockerfile", FASTAPI_NO_USER), ("main.py", writes)];
    assert_eq!(errors(&files, None), [err("write-denied", "main.py", 5)]);
    let message = check(&project(&files, Some(json!({"sdk": "docker"}))))
        .into_iter()
        .find(|f| f.rule_id == "docker/write-denied")
        .unwrap()
        .message;
    assert!(message.contains("/code/uploads") && message.contains("WORKDIR on Dockerfile line 4"), "{message}");

    // Writes inside a request handler, or under /tmp, break nothing at start.
    let in_handler = "import os\nfrom fastapi import FastAPI\napp = FastAPI()\n\n@app.post('/upload')\ndef upload():\n    os.makedirs('uploads', exist_ok=True)\n";
    assert_eq!(errors(&[("Dockerfile", FASTAPI_NO_USER), ("main.py", in_handler)], None), []);
    let from_variable = writes.replace("\"uploads\"", "os.environ.get(\"UPLOAD_DIR\", \"uploads\")");
    assert_eq!(errors(&[("Dockerfile", FASTAPI_NO_USER), ("main.py", &from_variable)], None), [], "may be a Space variable");
    let tmp = writes.replace("\"uploads\"", "\"/tmp/uploads\"");
    assert_eq!(errors(&[("Dockerfile", FASTAPI_NO_USER), ("main.py", &tmp)], None), []);

    // The repository has the folder (copied with the code): `exist_ok` makes nothing.
    let kept = [("Dockerfile", FASTAPI_NO_USER), ("main.py", writes), ("uploads/.gitkeep", "")];
    assert_eq!(errors(&kept, None), []);
    // Copied with --chown: the files may be the app's own whatever the directory's owner.
    let chowned = FASTAPI_NO_USER.replace("COPY . .", "RUN useradd -m -u 1000 user\nCOPY --chown=user . .");
    assert_eq!(errors(&[("Dockerfile", &chowned), ("main.py", writes)], None), []);

    // Made writable at build time: fine.
    let chmod = FASTAPI_NO_USER.replace("COPY . .\n", "COPY . .\nRUN mkdir -p /code/uploads && chmod 777 /code/uploads\n");
    assert_eq!(errors(&[("Dockerfile", &chmod), ("main.py", writes)], None), []);

    // The recommended user owns WORKDIR when it is made after USER: fine.
    let with_user = FASTAPI_NO_USER.replace(
        "WORKDIR /code\n",
        "RUN useradd -m -u 1000 user\nUSER user\nENV HOME=/home/user PATH=/home/user/.local/bin:$PATH\nWORKDIR /code\n",
    );
    let with_user = with_user.replace("COPY ./", "COPY --chown=user ./").replace("COPY . .", "COPY --chown=user . .");
    assert_eq!(findings(&[("Dockerfile", &with_user), ("main.py", writes)], None).len(), 1, "only python-buffered");
}

#[test]
fn start_scripts_that_write_into_a_root_owned_workdir() {
    let dockerfile = "FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
EXPOSE 7860
CMD [\"bash\", \"start.sh\"]
";
    let start = "#!/bin/bash\nset -e\nmkdir -p logs\ngit clone https://github.com/acme/models.git /app/models\nexec uvicorn app:app --host 0.0.0.0 --port 7860 >> logs/server.log 2>&1\n";
    let files = [("Dockerfile", dockerfile), ("start.sh", start), ("app.py", FASTAPI_MAIN)];
    assert_eq!(
        errors(&files, None),
        [err("write-denied", "start.sh", 3), err("write-denied", "start.sh", 4), err("write-denied", "start.sh", 5)]
    );
    // `cd /tmp` first: everything lands in /tmp.
    let in_tmp = start.replace("mkdir -p logs", "cd /tmp\nmkdir -p logs").replace("/app/models", "models");
    assert_eq!(errors(&[("Dockerfile", dockerfile), ("start.sh", &in_tmp), ("app.py", FASTAPI_MAIN)], None), []);
    // A permissions script we cannot follow: no conclusion.
    let fixed = dockerfile.replace("COPY . .\n", "COPY . .\nRUN ./fix-permissions.sh\n");
    assert_eq!(errors(&[("Dockerfile", &fixed), ("start.sh", start), ("app.py", FASTAPI_MAIN)], None), []);
}

#[test]
fn model_downloads_need_a_writable_home() {
    // Gradio in Docker, no user: HOME is `/`, so the Hub cache would be /.cache/huggingface.
    let dockerfile = "FROM python:3.10-slim
ENV PYTHONUNBUFFERED=1 GRADIO_SERVER_NAME=0.0.0.0
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -r requirements.txt
CMD [\"python\", \"app.py\"]
";
    let app = "import gradio as gr\nfrom transformers import pipeline\n\nclassifier = pipeline(\"sentiment-analysis\")\n\ndemo = gr.Interface(lambda t: classifier(t)[0][\"label\"], \"text\", \"text\")\ndemo.launch()\n";
    let files = [("Dockerfile", dockerfile), ("app.py", app)];
    assert_eq!(errors(&files, None), [err("write-denied", "app.py", 4)]);
    let with_cache = dockerfile.replace("GRADIO_SERVER_NAME=0.0.0.0", "GRADIO_SERVER_NAME=0.0.0.0 HF_HOME=/tmp/hf");
    assert_eq!(errors(&[("Dockerfile", &with_cache), ("app.py", app)], None), []);
    let with_user = dockerfile
        .replace("WORKDIR /app\nCOPY . .", "RUN useradd -m -u 1000 user\nUSER user\nWORKDIR /app\nCOPY --chown=user . .");
    assert_eq!(errors(&[("Dockerfile", &with_user), ("app.py", app)], None), []);
    // Downloaded at build time: the app reads the cache.
    let prefetched =
        dockerfile.replace("CMD [", "RUN python -c \"from transformers import pipeline; pipeline('sentiment-analysis')\"\nCMD [");
    assert_eq!(errors(&[("Dockerfile", &prefetched), ("app.py", app)], None), []);
    // A model read from the repository downloads nothing.
    let local = app.replace("pipeline(\"sentiment-analysis\")", "pipeline(\"sentiment-analysis\", model=\"./model\")");
    let local =
        local.replace("classifier = pipeline(\"sentiment-analysis\", model=\"./model\")", "classifier = pipeline(\"./model\")");
    assert_eq!(errors(&[("Dockerfile", dockerfile), ("app.py", &local)], None), []);
    let folder = app.replace("pipeline(\"sentiment-analysis\")", "pipeline(\"sentiment-analysis\", model=\"model\")");
    assert_eq!(errors(&[("Dockerfile", dockerfile), ("app.py", &folder), ("model/config.json", "{}")], None), []);
}

#[test]
fn the_usual_cache_permission_fixes_are_understood() {
    let main = "from flask import Flask\nfrom transformers import pipeline\n\napp = Flask(__name__)\nsummarizer = pipeline(\"summarization\")\n";
    // A cache directory made world-writable at build time, named by TRANSFORMERS_CACHE.
    let chmod = "FROM python:3.10-slim
WORKDIR /app
COPY . /app
RUN mkdir -p /app/cache && chmod -R 777 /app/cache
ENV TRANSFORMERS_CACHE=/app/cache
RUN pip install --no-cache-dir -r requirements.txt
EXPOSE 7860
CMD [\"gunicorn\", \"--bind\", \"0.0.0.0:7860\", \"main:app\"]
";
    assert_eq!(errors(&[("Dockerfile", chmod), ("main.py", main)], None), []);
    // Given to UID 1000 by chown, named by HF_HOME.
    let chown =
        chmod.replace("chmod -R 777 /app/cache", "chown -R 1000:1000 /app/cache").replace("TRANSFORMERS_CACHE", "HF_HOME");
    assert_eq!(errors(&[("Dockerfile", &chown), ("main.py", main)], None), []);
    // Under /tmp.
    let tmp = chmod.replace("ENV TRANSFORMERS_CACHE=/app/cache", "ENV HF_HOME=/tmp/hf_cache");
    assert_eq!(errors(&[("Dockerfile", &tmp), ("main.py", main)], None), []);
    // A relative cache resolves against WORKDIR, which root made: the download fails at import.
    let relative = chmod.replace("ENV TRANSFORMERS_CACHE=/app/cache", "ENV TRANSFORMERS_CACHE=.cache");
    assert_eq!(errors(&[("Dockerfile", &relative), ("main.py", main)], None), [err("write-denied", "main.py", 5)]);
}

#[test]
fn port_fallbacks_the_hub_never_replaces() {
    // "HF provides PORT automatically": it does not, but the fallback is app_port, so the Space works.
    let shell = "FROM python:3.11-slim
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir -r requirements.txt
CMD [\"sh\", \"-c\", \"uvicorn app.main:app --host 0.0.0.0 --port ${PORT:-7860}\"]
";
    assert_eq!(errors(&[("Dockerfile", shell)], None), []);
    let elsewhere = shell.replace("${PORT:-7860}", "${PORT:-8000}");
    assert_eq!(errors(&[("Dockerfile", &elsewhere)], None), [err("port-env-unset", "Dockerfile", 5)]);
    // An ENV that sets it to app_port fixes it; an ARG does not reach the running app.
    let env = elsewhere.replace("WORKDIR /app\n", "ENV PORT=7860\nWORKDIR /app\n");
    assert_eq!(errors(&[("Dockerfile", &env)], None), []);
    let arg = elsewhere.replace("WORKDIR /app\n", "ARG PORT=7860\nWORKDIR /app\n");
    assert_eq!(errors(&[("Dockerfile", &arg)], None), [err("port-env-unset", "Dockerfile", 6)]);

    // No fallback at all: uvicorn gets an empty --port and exits.
    let bare = shell.replace("${PORT:-7860}", "$PORT");
    assert_eq!(errors(&[("Dockerfile", &bare)], None), [err("port-env-unset", "Dockerfile", 5)]);
    assert_eq!(errors(&[("Dockerfile", &bare.replace("WORKDIR /app\n", "ENV PORT=7860\nWORKDIR /app\n"))], None), []);
    let gunicorn = shell.replace("uvicorn app.main:app --host 0.0.0.0 --port ${PORT:-7860}", "gunicorn -b 0.0.0.0:$PORT app:app");
    assert_eq!(errors(&[("Dockerfile", &gunicorn)], None), [err("port-env-unset", "Dockerfile", 5)]);

    // run.py: `port = int(os.environ.get("PORT", 7860))`, then uvicorn.run(..., port=port).
    let dockerfile = "FROM python:3.12-slim\nENV PYTHONUNBUFFERED=1\nWORKDIR /app\nCOPY . .\nCMD [\"python\", \"run.py\"]\n";
    let run = "import os\nimport uvicorn\n\nif __name__ == \"__main__\":\n    port = int(os.environ.get(\"PORT\", 7860))\n    uvicorn.run(\"app.main:app\", host=\"0.0.0.0\", port=port)\n";
    assert_eq!(errors(&[("Dockerfile", dockerfile), ("run.py", run)], None), []);
    assert_eq!(errors(&[("Dockerfile", dockerfile), ("run.py", run)], Some(8080)), [err("port-env-unset", "run.py", 6)]);
    let key_error = run.replace("int(os.environ.get(\"PORT\", 7860))", "int(os.environ[\"PORT\"])");
    assert_eq!(errors(&[("Dockerfile", dockerfile), ("run.py", &key_error)], None), [err("port-env-unset", "run.py", 6)]);
    let getenv_or = run.replace("int(os.environ.get(\"PORT\", 7860))", "int(os.getenv(\"PORT\") or 5000)");
    assert_eq!(errors(&[("Dockerfile", dockerfile), ("run.py", &getenv_or)], None), [err("port-env-unset", "run.py", 6)]);
}

/// A Node Space: `node server.js` reading `process.env.PORT || 3000`.
const NODE: &str = "FROM node:20
WORKDIR /app
COPY package*.json ./
RUN npm ci --omit=dev
COPY . .
ARG PORT=7860
ENV PORT=${PORT}
EXPOSE ${PORT}
CMD [\"node\", \"server.js\"]
";

const SERVER_JS: &str = "const express = require('express');\nconst app = express();\nconst port = process.env.PORT || 3000;\n\napp.get('/', (req, res) => res.send('ok'));\napp.listen(port, () => console.log(`listening on ${port}`));\n";

#[test]
fn node_apps_and_their_port() {
    assert_eq!(errors(&[("Dockerfile", NODE), ("server.js", SERVER_JS)], None), []);
    let no_env = NODE.replace("ENV PORT=${PORT}\n", "");
    assert_eq!(errors(&[("Dockerfile", &no_env), ("server.js", SERVER_JS)], None), [err("port-env-unset", "server.js", 3)]);
    // npm start runs package.json's start script.
    let npm = no_env.replace("CMD [\"node\", \"server.js\"]", "CMD [\"npm\", \"start\"]");
    let package = "{\n  \"name\": \"space\",\n  \"scripts\": {\n    \"start\": \"node index.js\"\n  }\n}\n";
    let index = "const http = require('http');\nhttp.createServer((q, r) => r.end('ok')).listen(process.env.PORT ?? 8080);\n";
    let files = [("Dockerfile", npm.as_str()), ("package.json", package), ("index.js", index)];
    assert_eq!(errors(&files, None), [err("port-env-unset", "index.js", 2)]);
    assert_eq!(errors(&files, Some(8080)), []);
    let undefined = "const app = require('express')();\napp.listen(process.env.PORT, () => console.log('up'));\n";
    let files = [("Dockerfile", npm.as_str()), ("package.json", package), ("index.js", undefined)];
    assert_eq!(errors(&files, None), [err("port-env-unset", "index.js", 2)]);
    let literal = "require('http').createServer((q, r) => r.end('ok')).listen(3000, '127.0.0.1');\n";
    let files = [("Dockerfile", npm.as_str()), ("package.json", package), ("index.js", literal)];
    assert_eq!(errors(&files, None), [err("listen-loopback", "index.js", 1), err("port-mismatch", "index.js", 1)]);
}

#[test]
fn chat_ui_shape_has_no_error() {
    // Node image (its `node` user is UID 1000), files given to 1000, shell-form pm2 start.
    let dockerfile = "FROM node:19
RUN npm install -g pm2
WORKDIR /app
COPY --link --chown=1000 package.json package-lock.json ./
RUN npm i
COPY --link --chown=1000 . .
RUN --mount=type=secret,id=DOTENV_LOCAL,dst=.env.local npm run build
CMD pm2 start build/index.js -i $CPU_CORES --no-daemon
";
    assert_eq!(rules(&[("Dockerfile", dockerfile)], None), ["docker/no-user", "docker/shell-form-start"],);
}

#[test]
fn chown_must_name_a_user_of_its_stage() {
    // A template copied without its useradd line: the build stops at the first COPY.
    let dockerfile = "FROM python:3.11-slim
WORKDIR /app

COPY --chown=user ./requirements.txt requirements.txt
RUN pip install --no-cache-dir --upgrade -r requirements.txt

COPY --chown=user . /app
CMD [\"uvicorn\", \"app:app\", \"--host\", \"0.0.0.0\", \"--port\", \"7860\"]
";
    assert_eq!(
        errors(&[("Dockerfile", dockerfile)], None),
        [err("chown-unknown-user", "Dockerfile", 4), err("chown-unknown-user", "Dockerfile", 7)]
    );
    // Created after the COPY is too late.
    let late =
        dockerfile.replace("WORKDIR /app\n", "WORKDIR /app\nCOPY --chown=user:user x.txt .\nRUN useradd -m -u 1000 user\n");
    assert_eq!(errors(&[("Dockerfile", &late)], None), [err("chown-unknown-user", "Dockerfile", 3)]);
    // Numeric ids, the image's own users, and unknown base images are fine.
    for fine in [
        dockerfile.replace("--chown=user", "--chown=1000:1000"),
        dockerfile.replace("--chown=user", "--chown=nobody:nogroup"),
        dockerfile.replace("FROM python:3.11-slim", "FROM ghcr.io/acme/python-base:3.11"),
        dockerfile.replace("WORKDIR /app\n", "RUN useradd -m -u 1000 user\nWORKDIR /app\n"),
        dockerfile.replace("FROM python:3.11-slim", "FROM node:20-slim").replace("--chown=user", "--chown=node:node"),
    ] {
        assert_eq!(errors(&[("Dockerfile", &fine)], None), [], "{fine}");
    }
    // ARG-named users expand.
    let arg = dockerfile
        .replace("WORKDIR /app\n", "ARG APP_USER=app\nRUN adduser --disabled-password --gecos '' $APP_USER\nWORKDIR /app\n");
    let arg = arg.replace("--chown=user", "--chown=${APP_USER}");
    assert_eq!(errors(&[("Dockerfile", &arg)], None), []);
}

/// A builder stage with its own user, port and command, and a slim final stage.
const MULTI_STAGE: &str = "FROM python:3.12 AS builder
RUN useradd -m -u 1000 user
USER user
WORKDIR /home/user/build
COPY --chown=user requirements.txt .
RUN pip install --user --no-cache-dir -r requirements.txt
EXPOSE 8000
CMD [\"uvicorn\", \"app:app\", \"--port\", \"8000\"]

FROM python:3.12-slim
ENV PYTHONUNBUFFERED=1
WORKDIR /app
COPY --from=builder /home/user/.local /usr/local
COPY . .
EXPOSE 7860
CMD [\"uvicorn\", \"app:app\", \"--host\", \"0.0.0.0\", \"--port\", \"7860\"]
";

#[test]
fn multi_stage_builds_are_judged_by_their_final_stage() {
    // The builder's USER, EXPOSE 8000 and CMD do not make the final image.
    assert_eq!(
        findings(&[("Dockerfile", MULTI_STAGE)], None),
        [("docker/no-user".into(), Severity::Warning, "Dockerfile".into(), Some(10))]
    );
    // The builder's user does not exist in the final stage.
    let chown = MULTI_STAGE.replace("COPY . .", "COPY --chown=user . .");
    assert_eq!(errors(&[("Dockerfile", &chown)], None), [err("chown-unknown-user", "Dockerfile", 14)]);
    // `COPY --from` and `ADD` resolve --chown in the stage they copy into.
    let from = MULTI_STAGE.replace("COPY --from=builder /home/user/.local", "COPY --from=builder --chown=user /home/user/.local");
    assert_eq!(errors(&[("Dockerfile", &from)], None), [err("chown-unknown-user", "Dockerfile", 13)]);
    let add = MULTI_STAGE.replace("COPY . .", "ADD --chown=app:app https://example.com/model.bin /app/");
    assert_eq!(errors(&[("Dockerfile", &add)], None), [err("chown-unknown-user", "Dockerfile", 14)]);
    // A final stage built FROM the builder inherits its user, and with it the user's WORKDIR.
    let inherits = MULTI_STAGE.replace("FROM python:3.12-slim\n", "FROM builder\n").replace("COPY . .", "COPY --chown=user . .");
    let found = rules(&[("Dockerfile", &inherits)], None);
    assert!(!found.iter().any(|r| r == "docker/no-user" || r == "docker/chown-unknown-user"), "{found:?}");
    // The final stage's own port still counts.
    let wrong = MULTI_STAGE.replace("\"--port\", \"7860\"", "\"--port\", \"8000\"");
    assert_eq!(errors(&[("Dockerfile", &wrong)], None), [err("port-mismatch", "Dockerfile", 16)]);
}

#[test]
fn nginx_in_front_of_a_built_site() {
    let dockerfile = "FROM node:20 AS build
WORKDIR /app
COPY package*.json ./
RUN npm ci
COPY . .
RUN npm run build
EXPOSE 3000
CMD [\"npm\", \"start\"]

FROM nginx:1.27-alpine
COPY --from=build /app/dist /usr/share/nginx/html
COPY nginx.conf /etc/nginx/conf.d/default.conf
EXPOSE 7860
CMD [\"nginx\", \"-g\", \"daemon off;\"]
";
    assert_eq!(rules(&[("Dockerfile", dockerfile)], None), ["docker/no-user"]);
}

#[test]
fn streamlit_in_docker() {
    // The Hub's Streamlit template: no user, app_port 8501.
    let dockerfile = "FROM python:3.9-slim
WORKDIR /app
RUN apt-get update && apt-get install -y build-essential curl git && rm -rf /var/lib/apt/lists/*
COPY requirements.txt ./
COPY src/ ./src/
RUN pip3 install -r requirements.txt
EXPOSE 8501
HEALTHCHECK CMD curl --fail http://localhost:8501/_stcore/health
ENTRYPOINT [\"streamlit\", \"run\", \"src/streamlit_app.py\", \"--server.port=8501\", \"--server.address=0.0.0.0\"]
";
    let app = "import streamlit as st\n\nst.title('Hello')\n";
    assert_eq!(errors(&[("Dockerfile", dockerfile), ("src/streamlit_app.py", app)], Some(8501)), []);
    // Writing its history file next to the script fails for UID 1000.
    let writes = "import streamlit as st\n\nwith open('history.csv', 'a') as f:\n    f.write('visit\\n')\nst.title('Hello')\n";
    assert_eq!(
        errors(&[("Dockerfile", dockerfile), ("src/streamlit_app.py", writes)], Some(8501)),
        [err("write-denied", "src/streamlit_app.py", 3)]
    );
}

#[test]
fn images_we_do_not_know_give_no_ownership_errors() {
    // Livebook's Space: its base image has the UID 1000 user `ubuntu` and prepares /data itself.
    let dockerfile = "FROM ghcr.io/livebook-dev/livebook:0.14.4
ENV LIVEBOOK_APP_SERVICE_NAME=\"Livebook\" LIVEBOOK_PORT=7860 LIVEBOOK_DATA_PATH=\"/data\"
EXPOSE 7860
RUN mkdir -p /data
RUN chmod 777 /data
ENV HOME=\"/home/ubuntu\"
USER ubuntu
COPY --chown=ubuntu public-apps/ /public-apps
RUN /app/bin/warmup_apps
CMD [\"/app/bin/livebook\", \"start\"]
";
    assert_eq!(rules(&[("Dockerfile", dockerfile)], None), [] as [&str; 0]);
    let own_user = dockerfile.replace("ENV HOME", "RUN useradd -m ubuntu\nENV HOME");
    assert_eq!(rules(&[("Dockerfile", &own_user)], None), ["docker/no-uid-1000-user"]);
    // A start script writing into the base image's directories proves nothing either.
    let writes = dockerfile.replace(
        "CMD [\"/app/bin/livebook\", \"start\"]",
        "CMD [\"sh\", \"-c\", \"mkdir -p /app/tmp && /app/bin/livebook start\"]",
    );
    assert_eq!(errors(&[("Dockerfile", &writes)], None), []);
}
