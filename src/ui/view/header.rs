use super::super::state::State;
use super::super::theme::Theme;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

pub fn draw(f: &mut Frame, area: Rect, s: &State, t: &Theme) {
    let rec = if s.recording {
        Span::styled(" ● REC ", t.recording.patch(t.header))
    } else {
        Span::styled(" ○ rec off ", t.header)
    };
    let left = format!(
        " cutover │ {} │ {} │ operator {} ",
        s.plan, s.target, s.operator
    );
    let clock = format!(" elapsed {} ", s.clock_text());
    let used = rec.width() + clock.chars().count();
    let room = (area.width as usize).saturating_sub(used);
    let left = super::fit(&left, room);
    let pad = room.saturating_sub(left.chars().count());
    let line = Line::from(vec![
        Span::styled(left, t.header),
        Span::styled(" ".repeat(pad), t.header),
        Span::styled(clock, t.header),
        rec,
    ]);
    f.render_widget(Paragraph::new(line).style(t.header), area);
}
