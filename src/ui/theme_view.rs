//! The theme as the widgets use it: styles by scope, the markdown styles derived from it, the
//! syntect theme for code, the highlighter, and a generation number that changes with the
//! theme (part of every render-cache key).

use super::highlight::Highlighter;
use super::markdown::MdStyles;
use super::theme::Theme;
use ratatui::style::Style;

pub struct ThemeView {
    pub theme: Theme,
    pub md: MdStyles,
    pub syntax: String,
    pub highlighter: Highlighter,
    pub generation: u64,
}

impl ThemeView {
    pub fn new(theme: Theme, highlighter: Highlighter) -> ThemeView {
        let md = md_styles(&theme);
        ThemeView {
            syntax: theme.syntax_theme().to_string(),
            md,
            theme,
            highlighter,
            generation: 1,
        }
    }

    pub fn style(&self, scope: &str) -> Style {
        self.theme.style(scope)
    }

    pub fn set_theme(&mut self, theme: Theme) {
        self.md = md_styles(&theme);
        self.syntax = theme.syntax_theme().to_string();
        self.theme = theme;
        self.generation += 1;
    }
}

fn md_styles(t: &Theme) -> MdStyles {
    MdStyles {
        text: t.style("ui.text"),
        heading: [
            t.style("markup.heading.1"),
            t.style("markup.heading.2"),
            t.style("markup.heading"),
        ],
        bold: t.style("markup.bold"),
        italic: t.style("markup.italic"),
        code: t.style("markup.code"),
        code_block: t.style("markup.code_block"),
        link: t.style("markup.link"),
        quote: t.style("markup.quote"),
        bullet: t.style("markup.list.bullet"),
        rule: t.style("markup.rule"),
        table_border: t.style("markup.table.border"),
        task_done: t.style("markup.task.done"),
        task_open: t.style("markup.task.open"),
    }
}
