//! The client side of ACP's `fs/read_text_file` and `fs/write_text_file`, confined to a
//! session's working directory: `..` components are refused outright, and symlinks are
//! resolved before the containment check, so no path (absolute or relative) reaches outside.

use crate::protocol::RpcError;
use serde_json::{json, Value};
use std::path::{Component, Path, PathBuf};

/// Resolves `requested` (absolute, or relative to `root`) to a real path inside `root`.
pub fn confine(root: &Path, requested: &Path) -> Result<PathBuf, String> {
    if requested.components().any(|c| c == Component::ParentDir) {
        return Err(format!(
            "refused {}: `..` is not allowed",
            requested.display()
        ));
    }
    let root = root
        .canonicalize()
        .map_err(|e| format!("working directory {} is not usable: {e}", root.display()))?;
    let joined = if requested.is_absolute() {
        requested.to_owned()
    } else {
        root.join(requested)
    };
    // Resolve the longest existing ancestor (following symlinks), then re-attach the rest.
    let mut existing = joined.as_path();
    let mut rest = Vec::new();
    let real = loop {
        match existing.canonicalize() {
            Ok(real) => break real,
            Err(_) => {
                let Some(name) = existing.file_name() else {
                    return Err(format!("refused {}: no such path", requested.display()));
                };
                rest.push(name.to_owned());
                existing = existing.parent().unwrap_or(Path::new("/"));
            }
        }
    };
    let mut full = real;
    for part in rest.iter().rev() {
        full.push(part);
    }
    if full.starts_with(&root) {
        Ok(full)
    } else {
        Err(format!(
            "refused {}: outside the session's working directory {}",
            requested.display(),
            root.display()
        ))
    }
}

/// Serves `fs/read_text_file` params within `root`.
pub fn read_text_file(root: &Path, params: &Value) -> Result<Value, RpcError> {
    let path = path_param(params)?;
    let real = confine(root, &path)
        .map_err(|m| RpcError::new(crate::protocol::jsonrpc::codes::INVALID_PARAMS, m))?;
    let text = std::fs::read_to_string(&real).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            RpcError::not_found(format!("{}: no such file", path.display()))
        }
        _ => RpcError::internal(format!("cannot read {}: {e}", path.display())),
    })?;
    let line = params
        .get("line")
        .and_then(Value::as_u64)
        .unwrap_or(1)
        .max(1) as usize;
    let limit = params
        .get("limit")
        .and_then(Value::as_u64)
        .map(|l| l as usize);
    let content = if line == 1 && limit.is_none() {
        text
    } else {
        let lines = text.split_inclusive('\n').skip(line - 1);
        match limit {
            Some(n) => lines.take(n).collect(),
            None => lines.collect(),
        }
    };
    Ok(json!({ "content": content }))
}

/// Serves `fs/write_text_file` params within `root` (parent directories are created).
pub fn write_text_file(root: &Path, params: &Value) -> Result<Value, RpcError> {
    let path = path_param(params)?;
    let content = params
        .get("content")
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::invalid_params("missing `content`"))?;
    let real = confine(root, &path)
        .map_err(|m| RpcError::new(crate::protocol::jsonrpc::codes::INVALID_PARAMS, m))?;
    if let Some(parent) = real.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| RpcError::internal(format!("cannot create {}: {e}", parent.display())))?;
    }
    std::fs::write(&real, content)
        .map_err(|e| RpcError::internal(format!("cannot write {}: {e}", path.display())))?;
    Ok(json!({}))
}

fn path_param(params: &Value) -> Result<PathBuf, RpcError> {
    params
        .get("path")
        .and_then(Value::as_str)
        .map(PathBuf::from)
        .ok_or_else(|| RpcError::invalid_params("missing `path`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confines_paths_to_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("work");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(dir.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), root.join("link")).unwrap();
        std::os::unix::fs::symlink(dir.path(), root.join("updir")).unwrap();

        assert!(confine(&root, Path::new("sub/new.txt")).is_ok());
        assert!(confine(&root, &root.join("a/b/c.txt")).is_ok());
        assert!(confine(&root, Path::new("../secret"))
            .unwrap_err()
            .contains(".."));
        assert!(confine(&root, &dir.path().join("secret"))
            .unwrap_err()
            .contains("outside"));
        assert!(confine(&root, Path::new("link"))
            .unwrap_err()
            .contains("outside"));
        assert!(confine(&root, Path::new("updir/secret"))
            .unwrap_err()
            .contains("outside"));
        assert!(confine(&root, Path::new("updir/new"))
            .unwrap_err()
            .contains("outside"));
    }

    #[test]
    fn reads_line_ranges_and_writes_inside() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write_text_file(root, &json!({"path": "d/f.txt", "content": "1\n2\n3\n"})).unwrap();
        let all = read_text_file(root, &json!({"path": root.join("d/f.txt")})).unwrap();
        assert_eq!(all["content"], "1\n2\n3\n");
        let part =
            read_text_file(root, &json!({"path": "d/f.txt", "line": 2, "limit": 1})).unwrap();
        assert_eq!(part["content"], "2\n");
        let missing = read_text_file(root, &json!({"path": "nope"})).unwrap_err();
        assert_eq!(
            missing.code,
            crate::protocol::jsonrpc::codes::RESOURCE_NOT_FOUND
        );
    }
}
