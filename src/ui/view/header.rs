use super::super::state::State;
use super::super::theme::Theme;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn draw(f: &mut Frame, area: Rect, s: &State, t: &Theme) {
    let rec = if s.recording {
        Span::styled(" ● rec ", t.recording.patch(t.header))
    } else {
        Span::styled(" ○ rec off ", t.header)
    };
    let left = format!(
        " cutover │ {} │ {} │ operator {} ",
        s.plan, s.target, s.operator
    );
    let clock = format!(" elapsed {} ", s.clock_text());
    // A rollback running or being prepared takes its place before the plan's details.
    let rollback = match (&s.rollback.running, &s.rollback.preparing) {
        (Some(r), _) => {
            let how = if r.automatic {
                "automatic rollback of"
            } else {
                "rolling back"
            };
            format!(" ↶ {how} {} ", s.scope_text(&r.scope))
        }
        (None, Some(scope)) => format!(" preparing rollback of {}… ", s.scope_text(scope)),
        (None, None) => String::new(),
    };
    let rollback = super::fit(&rollback, (area.width as usize) / 2);
    let used = rec.width() + clock.chars().count() + rollback.chars().count();
    let room = (area.width as usize).saturating_sub(used);
    let left = super::fit(&left, room);
    let pad = room.saturating_sub(left.chars().count());
    let line = Line::from(vec![
        Span::styled(left, t.header),
        Span::styled(" ".repeat(pad), t.header),
        Span::styled(
            rollback,
            t.warn.patch(t.header).add_modifier(Modifier::BOLD),
        ),
        Span::styled(clock, t.header),
        rec,
    ]);
    f.render_widget(Paragraph::new(line).style(t.header), area);
}
