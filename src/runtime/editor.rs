//! Editing the draft in the user's editor (Ctrl+G): `$VISUAL`, else `$EDITOR`, run through
//! `sh` as git does (so `code --wait` or `vim -u NONE` work), on a private temporary file.
//! The caller hands the terminal over: the event reader is stopped first, so every key goes
//! to the editor, and the full screen is set up again after.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

/// The editor command line from the environment.
pub fn command() -> Result<String, String> {
    ["VISUAL", "EDITOR"]
        .into_iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|e| !e.trim().is_empty())
        .ok_or_else(|| "set $VISUAL or $EDITOR to edit the draft in your editor".to_string())
}

/// Runs `editor` on `draft` with the terminal as it is (the caller has left the full
/// screen); returns the text as saved, without the final newline editors add.
pub async fn edit(editor: &str, draft: &str) -> Result<String, String> {
    let file = DraftFile::create(draft).map_err(|e| format!("could not write the draft: {e}"))?;
    let status = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&file.0)
        .status()
        .await
        .map_err(|e| format!("could not start `{editor}`: {e}"))?;
    if !status.success() {
        return Err(format!(
            "`{editor}` ended with {status}; the draft is unchanged"
        ));
    }
    let mut text = std::fs::read_to_string(&file.0)
        .map_err(|e| format!("could not read the edited draft: {e}"))?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(text)
}

/// The draft on disk, readable by this user only, removed when dropped.
struct DraftFile(PathBuf);

impl DraftFile {
    fn create(draft: &str) -> std::io::Result<DraftFile> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("praxis-draft-{}-{nanos}.md", std::process::id()));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        let file = DraftFile(path);
        f.write_all(draft.as_bytes())?;
        Ok(file)
    }
}

impl Drop for DraftFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_editor_gets_the_draft_and_its_saved_text_comes_back() {
        let out = edit("sed -i s/draft/edited/", "my draft\nline two")
            .await
            .unwrap();
        assert_eq!(out, "my edited\nline two");
        // A command line with its own arguments, and the final newline dropped.
        let out = edit("printf 'x\\n' >", "ignored").await.unwrap();
        assert_eq!(out, "x");
        let err = edit("false", "kept").await.unwrap_err();
        assert!(err.contains("the draft is unchanged"), "{err}");
    }
}
