# /forget: a citizen erases their data (bot/routers/privacy.py). Say exactly what is done.
cmd-forget = Erase my data
privacy-forget-ask =
    <b>Erase your data?</b>
    • Your unfinished appeal and your settings (language, consent) are deleted.
    • Closed appeals: { $closed }. Names, contacts, the story, the answers and the files are erased now. Only figures for statistics stay (category, region, result), with nothing about you.
    • Open appeals: { $open }. They stay until the office closes them, so that it can answer you. { $days } days after closing they are erased too.
    This cannot be undone.
privacy-forget-yes = Yes, erase
privacy-forget-no = No, keep
privacy-forget-kept = Nothing was erased.
privacy-forget-done = Done. Your unfinished appeal and settings are deleted. Closed appeals erased: { $closed }.
privacy-forget-open-left = Open appeals: { $open }. They will be erased { $days } days after they are closed.
privacy-forget-chat = The messages in this chat are kept by Telegram, not by us. To remove them, delete this chat in Telegram.
# A line of an appeal's history for staff.
event-anonymised = { $date } · personal data erased
