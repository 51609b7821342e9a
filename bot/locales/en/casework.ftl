# The representatives' side (cards, buttons, prompts) and what citizens hear after submitting.
# Notices to citizens are neutral on purpose: a phone may be shared, so they say only that
# there is news; the details are behind a button.

## Appeal card

card-urgent = 🔴 <b>URGENT</b>
card-title = <b>{ $number }</b> · { $category }
card-region = Queue: { $region }
card-filer = Filed: { $filer }
card-about = About: { $name }
card-institution = Institution: { $institution }
card-excerpt = <i>{ $excerpt }</i>
card-attachments = Files: { $count }
card-due = Answer due: { $date }
card-overdue = ⚠️ Overdue since { $date }
card-old = Events over a year old: decide whether to consider.
card-withdrawn = The citizen withdrew the appeal.
card-forwarded = Forwarded to: { $body }
card-status-new = Status: new, not taken
card-status-in_progress = Status: in work ({ $who })
card-status-closed = Status: closed ({ $outcome })
queue-central = Central office
queue-triage = Triage

## Buttons

staff-btn-take = ✋ Take
staff-btn-release = Release
staff-btn-ask = ❓ Ask the citizen
staff-btn-note = 📝 Note
staff-btn-reassign = ↪️ Reassign
staff-btn-forward = 📨 Forwarded to a body
staff-btn-close = ✅ Close
staff-btn-files = 📎 Files ({ $count })
staff-btn-thread = 🧾 History
staff-btn-open = Open the appeal
staff-view-new = New
staff-view-mine = Mine
staff-view-overdue = Overdue
staff-view-urgent = Urgent
staff-view-all = All
staff-queue-more = More ▾

## Prompts and answers to staff

staff-new-appeal = 📥 New appeal — { $queue }
staff-queue-title = <b>Appeals: { $view }</b>
staff-queue-empty = No appeals: { $view }.
staff-ask-question = Write your question about { $number }. The bot sends it to the citizen; your account is not shown. /cancel to stop.
staff-ask-note = Write an internal note for { $number }. The citizen never sees it. /cancel to stop.
staff-ask-forward = Which body was { $number } forwarded to? Write its name. /cancel to stop.
staff-ask-close-message = Write the answer to the citizen for { $number }, or send "-" to close without a message. /cancel to stop.
staff-pick-outcome = How is { $number } closed?
staff-pick-queue = Which queue should { $number } go to?
staff-need-text = Please send text.
staff-cancelled = Cancelled.
staff-taken = You took the appeal.
staff-released = You released the appeal: it is back in the queue.
staff-question-sent = The question about { $number } was sent to the citizen.
staff-note-added = Note added to { $number }.
staff-reassigned = { $number } was passed to: { $queue }.
staff-forwarded = Recorded: { $number } forwarded to { $body }.
staff-closed = { $number } is closed: { $outcome }. The citizen was told.
staff-citizen-answered = 💬 The citizen answered your question about { $number }.
staff-citizen-info = 📎 The citizen added information to { $number }.
staff-citizen-withdrew = The citizen withdrew { $number }.
staff-reminder = ⏰ The answer to { $number } is due on { $date }.
staff-escalated = ⚠️ Overdue: { $number } was due on { $date }.
staff-thread-title = <b>History of { $number }</b>
event-submitted = { $date } · submitted
event-taken = { $date } · taken by { $who }
event-released = { $date } · released by { $who }
event-question = { $date } · question: { $text }
event-answer = { $date } · the citizen answered: { $text }
event-citizen_info = { $date } · the citizen added: { $text }
event-note = { $date } · note ({ $who }): { $text }
event-reassigned = { $date } · reassigned by { $who }
event-forwarded = { $date } · forwarded: { $text }
event-closed = { $date } · closed: { $text }
event-reminded = { $date } · deadline reminder
event-escalated = { $date } · escalated to the central office
event-withdrawn = { $date } · withdrawn by the citizen
event-viewed = { $date } · viewed by { $who }

## Refusals

staff-no-access = This appeal is not in your queues.
staff-already-closed = This appeal is already closed.
staff-already-mine = You are already working on this appeal.
staff-taken-by-other = Someone else has just taken this appeal.
staff-not-yours = Another colleague is working on this appeal.
staff-take-first = Take the appeal first.
staff-not-staff = This is for the Ombudsman's staff only.
staff-unknown-appeal = No such appeal in your queues.
staff-iin-found = Appeals with this IIN in your queues: { $count }
staff-iin-more = Older appeals with this IIN: { $count }
staff-unknown-user = { $user } is not registered as staff.

## Administration

cmd-queue = Appeals in my queues
cmd-appeal = Open an appeal by its number or the citizen's IIN
cmd-stats = Statistics for a period
cmd-staff = Staff list
cmd-staff_add = Register a staff member
cmd-staff_remove = Remove a staff member's access

staff-add-usage = Usage: /staff_add USER_ID representative REGION [name], /staff_add USER_ID central [name], /staff_add USER_ID admin [name]; /staff_remove USER_ID.
staff-added = Registered { $user } as { $role } ({ $region }).
staff-removed = { $user } no longer has access.
staff-list-title = <b>Staff</b>
staff-list-line = { $active } { $user } · { $role } · { $region } · { $name }

## Outcomes

outcome-explained = explained
outcome-forwarded = forwarded to the competent body
outcome-satisfied = satisfied

## What the citizen sees

notice-taken = There is news about your appeal { $number }: a representative of the Ombudsman has started working on it.
notice-question = There is a question about your appeal { $number }.
notice-reassigned = Your appeal { $number } was passed to another office of the Ombudsman.
notice-forwarded = There is news about your appeal { $number }.
notice-closed = The consideration of your appeal { $number } is finished.
button-show-question = Show the question
button-show-details = Show details
button-answer = Answer
button-add-info = ➕ Add to { $number }
button-withdraw = Withdraw { $number }
button-withdraw-yes = Yes, withdraw it
citizen-question = <b>Question about your appeal { $number }:</b>
    { $text }
citizen-answer-prompt = Write your answer to the question about { $number }. You can also send a file. /cancel to stop.
citizen-answer-sent = Thank you, your answer about { $number } was passed on.
citizen-add-info-prompt = Write what you want to add to appeal { $number }, or send a file. /cancel to stop.
citizen-info-added = Added to your appeal { $number }.
citizen-input-cancelled = Cancelled. Nothing was added.
citizen-closed-detail = <b>Appeal { $number }: { $outcome }.</b>
    { $message }
citizen-forwarded-detail = Your appeal { $number } was forwarded to: { $body }. That body must answer you; the Ombudsman's office follows it up.
citizen-appeal-closed = This appeal is already closed.
citizen-withdraw-ask = Withdraw appeal { $number }? It will not be considered further.
citizen-withdrawn = Appeal { $number } is withdrawn.
citizen-withdrawn-urgent = Your request about { $number } is noted. Because the appeal reports a danger to someone, the staff will still look at it.

## Statistics

stats-usage = Usage: /stats, /stats 2026, or /stats 2026-01-01 2026-03-31.
stats-title = <b>Appeals from { $start } to { $end }</b>
stats-total = Total: { $count }
stats-urgent = Urgent: { $count }
stats-custody = About people in custody: { $count }
stats-satisfied-share = Satisfied among closed: { $share }%
stats-by-category = <b>By category</b>
stats-by-region = <b>By region</b>
stats-by-outcome = <b>By outcome</b>
stats-line = { $name }: { $count }
stats-none = —
stats-outcome-explained = explained
stats-outcome-forwarded = forwarded
stats-outcome-satisfied = satisfied
stats-outcome-open = open
stats-outcome-withdrawn = withdrawn
