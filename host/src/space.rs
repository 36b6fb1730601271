//! `SpaceAdmin`: dev mode, duplication, visibility and volumes of a Space, over the Hub client. Nothing here
//! removes what the user did not name: replacing or removing volumes needs `confirmed`, and a duplicate never
//! lands on an existing Space.

use std::sync::Arc;

use serde::Serialize;
use spacesmith_hub::{DuplicateSpace, ErrorKind, HubApi, SecretEntry, SpaceId, SpaceRuntime, VariableEntry, Visibility, Volume};

use crate::error::{AppError, ErrorCode};
use crate::hardware::HardwareResolver;

/// Everything `space duplicate` is asked to do.
#[derive(Debug, Clone)]
pub struct DuplicateRequest {
    pub from: SpaceId,
    pub to: SpaceId,
    pub visibility: Visibility,
    pub hardware: Option<String>,
    pub sleep_time: Option<i64>,
    pub secrets: Vec<SecretEntry>,
    pub variables: Vec<VariableEntry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DuplicateReport {
    pub success: bool,
    pub from: String,
    pub to: String,
    pub url: String,
    pub visibility: Visibility,
    pub hardware: Option<String>,
    pub sleep_time: Option<i64>,
    /// Names only: values are never reported.
    pub secrets: Vec<String>,
    pub variables: Vec<String>,
    /// Secrets of the source (when its owner asks) that the copy was not given: values are never copied.
    pub missing_secrets: Vec<String>,
    pub files_copy_pending: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct VisibilityReport {
    pub success: bool,
    pub space: String,
    pub visibility: Visibility,
}

#[derive(Debug, Clone, Serialize)]
pub struct VolumeView {
    #[serde(flatten)]
    pub volume: Volume,
    /// The `hf://...:/MOUNT[:ro]` form `space volumes set` takes.
    pub uri: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct VolumesReport {
    pub success: bool,
    pub space: String,
    /// What is mounted now.
    pub volumes: Vec<VolumeView>,
    /// Mounts this command removed.
    pub removed: Vec<VolumeView>,
}

/// Managing a Space's dev mode, copies, visibility and volumes.
pub trait SpaceAdmin: Send + Sync {
    fn dev_mode(&self, space: &SpaceId, enabled: bool) -> Result<SpaceRuntime, AppError>;
    fn duplicate(&self, req: &DuplicateRequest) -> Result<DuplicateReport, AppError>;
    fn set_visibility(&self, space: &SpaceId, visibility: Visibility) -> Result<VisibilityReport, AppError>;
    fn volumes(&self, space: &SpaceId) -> Result<VolumesReport, AppError>;
    /// Replaces the mounts; dropping a mounted volume needs `confirmed`.
    fn set_volumes(&self, space: &SpaceId, volumes: &[Volume], confirmed: bool) -> Result<VolumesReport, AppError>;
    /// Removes every mount; needs `confirmed`.
    fn delete_volumes(&self, space: &SpaceId, confirmed: bool) -> Result<VolumesReport, AppError>;
}

pub struct SpaceManager {
    api: Arc<dyn HubApi>,
    hardware: Arc<dyn HardwareResolver>,
}

impl SpaceManager {
    pub fn new(api: Arc<dyn HubApi>, hardware: Arc<dyn HardwareResolver>) -> Self {
        SpaceManager { api, hardware }
    }

    fn mounted(&self, space: &SpaceId) -> Result<Vec<Volume>, AppError> {
        Ok(self.api.space_runtime(space)?.volumes())
    }

    fn report(&self, space: &SpaceId, removed: Vec<Volume>) -> Result<VolumesReport, AppError> {
        Ok(VolumesReport {
            success: true,
            space: space.to_string(),
            volumes: self.mounted(space)?.into_iter().map(view).collect(),
            removed: removed.into_iter().map(view).collect(),
        })
    }
}

fn view(volume: Volume) -> VolumeView {
    VolumeView { uri: volume.to_uri(), volume }
}

fn same_mount(a: &Volume, b: &Volume) -> bool {
    // The Hub forces repo volumes read-only, so an unset flag and `true` are the same mount there.
    let ro = |v: &Volume| v.read_only.unwrap_or(v.kind != "bucket");
    a.kind == b.kind
        && a.source == b.source
        && a.mount_path == b.mount_path
        && a.revision == b.revision
        && a.path == b.path
        && ro(a) == ro(b)
}

/// Checks volumes before anything is sent: known types, distinct absolute mount paths, read-only repos.
pub fn check_volumes(volumes: &[Volume]) -> Result<(), AppError> {
    if volumes.is_empty() {
        return Err(AppError::new(ErrorCode::NoVolumes, "no volume was given").hint(
            "Pass --volume hf://[TYPE/]OWNER/NAME:/MOUNT[:ro] (repeatable); to remove every volume, use `space volumes delete`.",
        ));
    }
    for (i, v) in volumes.iter().enumerate() {
        if !Volume::KINDS.contains(&v.kind.as_str()) {
            return Err(AppError::new(ErrorCode::BadVolume, format!("unknown volume type `{}`", v.kind))
                .hint("Use models, datasets, spaces or buckets."));
        }
        if !v.mount_path.starts_with('/') {
            return Err(AppError::new(ErrorCode::BadVolume, format!("mount path `{}` is not absolute", v.mount_path))
                .hint("Mount paths start with /, e.g. hf://OWNER/NAME:/data."));
        }
        if v.kind != "bucket" && v.read_only == Some(false) {
            return Err(AppError::new(ErrorCode::BadVolume, format!("{} is a repo: the Hub mounts repos read-only", v.to_uri()))
                .hint("Drop `:rw`; only buckets can be mounted read-write."));
        }
        if volumes[..i].iter().any(|o| o.mount_path == v.mount_path) {
            return Err(AppError::new(ErrorCode::BadVolume, format!("two volumes are mounted at {}", v.mount_path))
                .hint("Give every volume its own mount path."));
        }
    }
    Ok(())
}

impl SpaceAdmin for SpaceManager {
    fn dev_mode(&self, space: &SpaceId, enabled: bool) -> Result<SpaceRuntime, AppError> {
        Ok(self.api.set_dev_mode(space, enabled)?)
    }

    fn duplicate(&self, req: &DuplicateRequest) -> Result<DuplicateReport, AppError> {
        if req.from == req.to {
            return Err(AppError::new(ErrorCode::SameSpace, format!("cannot duplicate {} onto itself", req.from))
                .hint("Name a new Space as TO, e.g. `spacesmith space duplicate OWNER/NAME YOU/NAME-copy`."));
        }
        let hardware = req.hardware.as_deref().map(|h| self.hardware.resolve(h)).transpose()?;
        let opts = DuplicateSpace {
            visibility: Some(req.visibility),
            hardware: hardware.clone(),
            sleep_time: req.sleep_time,
            secrets: req.secrets.clone(),
            variables: req.variables.clone(),
        };
        let done = self.api.duplicate_space(&req.from, &req.to, &opts).map_err(|e| {
            if e.kind() == ErrorKind::AlreadyExists {
                AppError::from(e).hint(format!(
                    "{} already exists and duplicate never overwrites a Space: pick another TO, or delete it first with `spacesmith space delete {} --yes`",
                    req.to, req.to
                ))
            } else {
                AppError::from(e)
            }
        })?;
        let given: Vec<String> = req.secrets.iter().map(|s| s.key.clone()).collect();
        // Only the source's owner may list its secrets; anyone else gets no notice, not an error.
        let missing_secrets = match self.api.list_secrets(&req.from) {
            Ok(map) => map.into_keys().filter(|k| !given.contains(k)).collect(),
            Err(_) => Vec::new(),
        };
        Ok(DuplicateReport {
            success: true,
            from: req.from.to_string(),
            to: req.to.to_string(),
            url: done.url,
            visibility: req.visibility,
            hardware,
            sleep_time: req.sleep_time,
            secrets: given,
            variables: req.variables.iter().map(|v| v.key.clone()).collect(),
            missing_secrets,
            files_copy_pending: done.files_copy_pending,
        })
    }

    fn set_visibility(&self, space: &SpaceId, visibility: Visibility) -> Result<VisibilityReport, AppError> {
        self.api.set_visibility(space, visibility)?;
        Ok(VisibilityReport { success: true, space: space.to_string(), visibility })
    }

    fn volumes(&self, space: &SpaceId) -> Result<VolumesReport, AppError> {
        self.report(space, Vec::new())
    }

    fn set_volumes(&self, space: &SpaceId, volumes: &[Volume], confirmed: bool) -> Result<VolumesReport, AppError> {
        check_volumes(volumes)?;
        let dropped: Vec<Volume> =
            self.mounted(space)?.into_iter().filter(|m| !volumes.iter().any(|v| same_mount(m, v))).collect();
        if !dropped.is_empty() && !confirmed {
            let list: Vec<String> = dropped.iter().map(Volume::to_uri).collect();
            return Err(AppError::new(
                ErrorCode::ConfirmationRequired,
                format!("setting these volumes unmounts {} from {space}", list.join(", ")),
            )
            .hint("The list replaces every mount: add them to the command to keep them, or pass --yes to drop them."));
        }
        self.api.set_volumes(space, volumes)?;
        self.report(space, dropped)
    }

    fn delete_volumes(&self, space: &SpaceId, confirmed: bool) -> Result<VolumesReport, AppError> {
        let mounted = self.mounted(space)?;
        if mounted.is_empty() {
            // The Hub answers 400 when there is nothing to remove: already the state asked for.
            return self.report(space, Vec::new());
        }
        if !confirmed {
            let list: Vec<String> = mounted.iter().map(Volume::to_uri).collect();
            return Err(AppError::new(
                ErrorCode::ConfirmationRequired,
                format!("removing the volumes of {space} needs --yes (mounted: {})", list.join(", ")),
            )
            .hint(format!("Run `spacesmith space volumes delete {space} --yes`; the data in buckets and repos stays.")));
        }
        self.api.delete_volumes(space)?;
        self.report(space, mounted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vol(spec: &str) -> Volume {
        Volume::parse_uri(spec).unwrap()
    }

    #[test]
    fn volume_uris() {
        let v = vol("hf://datasets/alice/data@v1/train:/data:ro");
        assert_eq!((v.kind.as_str(), v.source.as_str(), v.mount_path.as_str()), ("dataset", "alice/data", "/data"));
        assert_eq!((v.revision.as_deref(), v.path.as_deref(), v.read_only), (Some("v1"), Some("train"), Some(true)));
        assert_eq!(v.to_uri(), "hf://datasets/alice/data@v1/train:/data:ro");
        let m = vol("hf://alice/model:/models");
        assert_eq!((m.kind.as_str(), m.read_only), ("model", None));
        assert_eq!(vol("hf://buckets/alice/b/sub/dir:/mnt:rw").path.as_deref(), Some("sub/dir"));
        for bad in ["alice/m:/x", "hf://alice/m", "hf://alice:/x", "hf://buckets/a/b@v1:/x", "hf://a/b:/x/../y"] {
            assert!(Volume::parse_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn volume_checks() {
        assert!(check_volumes(&[]).is_err());
        assert!(check_volumes(&[vol("hf://alice/m:/x:rw")]).is_err(), "repos are read-only");
        assert!(check_volumes(&[vol("hf://alice/m:/x"), vol("hf://buckets/alice/b:/x")]).is_err(), "same mount");
        assert!(check_volumes(&[vol("hf://alice/m:/x"), vol("hf://buckets/alice/b:/y:rw")]).is_ok());
        assert!(same_mount(&vol("hf://alice/m:/x"), &vol("hf://models/alice/m:/x:ro")));
        assert!(!same_mount(&vol("hf://buckets/alice/b:/x"), &vol("hf://buckets/alice/b:/x:ro")));
    }
}
