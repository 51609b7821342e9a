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
privacy-forget-chat = The messages in this chat are kept by Telegram, not by us. /clear deletes those of the last 48 hours; to remove all of them, delete this chat in Telegram.
# A line of an appeal's history for staff.
event-anonymised = { $date } · personal data erased

# /clear: delete this conversation from the phone (bot/routers/privacy.py).
cmd-clear = Delete this chat's messages
privacy-clear-ask = <b>Delete the messages of this chat?</b> For a phone that others may see. The bot deletes its messages and yours from the last 48 hours (Telegram allows no more). Older ones you can delete yourself: "Clear history" in the chat's menu. Your appeals are not affected.
privacy-clear-yes = Yes, delete
privacy-clear-no = No
privacy-clear-kept = Nothing was deleted.
privacy-clear-done = Messages deleted.
