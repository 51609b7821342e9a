# The citizen's intake conversation and the bot's commands.
# Keys follow the conversation table in dialogs/script.py: ask-<step>, choice-<step>-<value>.
# Texts are rendered with HTML parse mode: only <b> and <i> tags, never a bare "<" or "&".

## Language and consent

ask-language = Тілді таңдаңыз / Выберите язык / Choose a language
choice-language-kk = Қазақша
choice-language-ru = Русский
choice-language-en = English

ask-consent =
    <b>Before we start: your data</b>
    • We collect what you tell us: what happened, names, your contacts and the files you send.
    • Why: to register your appeal to the Human Rights Ombudsman and to answer you.
    • Who sees it: the Ombudsman's staff and the representative of your region. Bodies you complain about see it only as needed to check the complaint.
    • How long: as long as your appeal is being considered and the records must be kept by law; then it is deleted or made anonymous.
    • Telegram itself is a third party: it carries these messages under its own rules.
    You can stop at any time with /cancel. Do you agree?
choice-consent-agree = I agree
choice-consent-decline = I do not agree
consent-declined = We understand. Without your consent we cannot accept an appeal here, and we have not kept what you wrote. You can still read /help, or come back with /new.
consent-first = Please answer the question above first: we keep nothing until you agree.

## Who is filing

ask-filer = Who are you filing for?
choice-filer-self = For myself
choice-filer-other_person = For a relative or another person
choice-filer-custody = For a person in custody
choice-filer-lawyer_ngo = As a lawyer or an NGO
ask-subject-name = What is the full name of the person the appeal is about?
ask-relation = Who are you to this person? Choose or type.
choice-relation-parent = Parent
choice-relation-child = Son or daughter
choice-relation-spouse = Husband or wife
choice-relation-sibling = Brother or sister
choice-relation-relative = Other relative
choice-relation-other = Friend or other
ask-detention-kind = Where is the person held?
choice-detention-kind-pretrial = Pre-trial detention (SIZO)
choice-detention-kind-temporary = Temporary holding (IVS)
choice-detention-kind-colony = Penal colony
choice-detention-kind-other = Other place
ask-institution = What is the institution called? For example: ЕЦ-166/11, or "SIZO of Pavlodar".
ask-institution-region = In which region is the institution?

## The story and the category

ask-story =
    <b>Tell us what happened.</b>
    Write in your own words: what, where, when, and who did it. You can write in several messages.
    You can also send photos, documents or a voice message: we will attach them.
story-added = Thank you, I added this to your story.
button-story-done = Continue with the files only
ask-category = Which of these fits your situation best?
ask-category-confident = This looks like: <b>{ $category }</b>. Is that right?
ask-category-top = These topics fit best. Choose one, or see all topics.
button-category-yes = Yes: { $category }
button-category-other = Another topic
category-hints = { $lines }
category-hint-line = <b>{ $name }</b>: { $hint }

## Jurisdiction

juris-title = <b>{ $category }: what the Ombudsman can do</b>
juris-bodies =
    <b>Who else can act:</b>
    { $lines }
juris-hotlines =
    <b>Phone lines:</b>
    { $lines }
bullet = • { $item }
hotline-line = • { $name }: { $number }
ask-jurisdiction = Do you want to file an appeal to the Ombudsman?
choice-jurisdiction-continue = Yes, continue
choice-jurisdiction-change = Choose another topic
choice-jurisdiction-stop = No, stop here
jurisdiction-stopped = All right. Nothing was sent, and your draft is deleted. You can start again at any time with /new.

## Urgent help

urgent-title = <b>If someone is in danger right now, call:</b>
urgent-hotlines = { $lines }
urgent-marked = We have marked your appeal as urgent. Please go on: the details help us act faster.

## Region and details

ask-region = In which region did this happen?
button-region-suggested = ✓ { $region }
ask-body-complained = Which body or official is the complaint about? For example: a police department, a school, an akimat.
ask-incident-age = When did it happen? Choose, or type a date (for example 12.03.2025).
choice-incident-age-ongoing = It is still going on
choice-incident-age-month = In the last month
choice-incident-age-year = In the last year
choice-incident-age-older = More than a year ago
ask-prior-complaint = Have you already complained about this anywhere?
choice-prior-complaint-no = No
choice-prior-complaint-yes = Yes
ask-prior-details = Where did you complain, and what answer did you get?
ask-request = What do you ask for? For example: to check the actions of officials, medical care, an explanation.

## Contact and identity

ask-full-name = Your full name (surname, first name, patronymic if you have one).
ask-phone = Your phone number: press the button below to share it, or type it (for example +7 701 234 5678).
button-share-phone = Share my phone number
phone-saved = Thank you.
phone-invalid = That does not look like a phone number. Please type it with the country code, for example +7 701 234 5678.
phone-not-own = Please share your own number with the button, or type it.
ask-iin = Your IIN (12 digits). It helps to find your case faster, but you can skip it.
iin-invalid = This IIN does not pass the check. Please check the 12 digits, or skip this question.
ask-address = Your postal address or place of work, so that a written answer can reach you.
ask-confidential = Do you want your identity not to be disclosed to the body you complain about?
choice-confidential-no = No, it may be disclosed
choice-confidential-yes = Yes, keep it confidential

## Summary and submission

ask-summary = <b>Please check your appeal.</b> You can change any part before you send it.
summary-lines = { $lines }
summary-line = <b>{ $label }:</b> { $value }
value-none = —
summary-urgent = <b>Marked as urgent.</b>
summary-old = <i>The events are more than a year old: the representative will decide how to proceed.</i>
summary-missing = Some answers are missing. Let us fill them in.
field-filer = Filed
field-subject-name = About
field-relation = Relation
field-detention-kind = Held in
field-institution = Institution
field-institution-region = Institution's region
field-region = Region
field-category = Topic
field-story = What happened
field-attachments = Files attached
field-body-complained = Complaint about
field-incident-age = When
field-prior = Complained before
field-request = Request
field-full-name = Name
field-phone = Phone
field-iin = IIN
field-address = Address
field-confidential = Keep identity confidential
button-submit = ✅ Send the appeal
button-edit-filer = Who and for whom
button-edit-story = What happened
button-edit-category = Topic
button-edit-region = Region
button-edit-details = Details
button-edit-contact = Contacts
submitted =
    <b>Your appeal is registered.</b>
    Number: <b>{ $number }</b>
    An answer is due within { $days } working days.
submitted-next = What happens next: the representative of the Ombudsman in your region reads the appeal, may ask you questions here in this chat, and tells you the result. You can see the state of your appeals with /status.
submitted-urgent = Your appeal is marked as urgent, so the staff will see it first. If someone is in danger right now, call 102.

## Buttons and moving around

button-skip = Skip
button-keep = Keep as it is
button-back = ◀ Back
button-continue = Continue
button-restart = Start over
button-cancel-yes = Yes, delete the draft
button-cancel-no = No, continue
resume-ask = You have an unfinished appeal. Do you want to continue it or start over?
resume-restarted = We start over. The old draft is deleted.
resume-welcome-back = Welcome back! We continue your unfinished appeal from where you stopped. To start over, send /new.
cancel-ask = Delete the unfinished appeal? What you wrote will not be kept.
cancel-done = The draft is deleted. You can start again with /new.
cancel-nothing = There is nothing to cancel. To start an appeal, send /new.

## Input problems

input-use-buttons = Please choose one of the buttons.
input-need-text = Please answer with a text message.
input-too-short = This is too short: please write at least { $min } characters.
input-too-long = This is too long ({ $length } characters). Please keep it within { $max } characters.
attachment-saved = File attached ({ $count } in total).
attachment-duplicate = This file is already attached.
attachment-too-many = You can attach up to { $max } files. Please send the most important ones.
unsupported-content = I cannot use this kind of message here. Please write text or use the buttons.
file-too-large = This file is too large (more than { $max_mb } MB). Please send a smaller one or a photo of it.
file-wrong-type = I can accept photos, voice messages, videos and documents (PDF, Word, images). Please send the file in one of these forms.
stale-button-alert = This button is no longer active.
error-generic = Sorry, something went wrong on our side. Your answers are saved: please try again in a minute.
flood-slow-down = You are sending messages very fast. Please wait half a minute, then send your last message again.

## Commands

cmd-start = Start or continue an appeal
cmd-new = File a new appeal
cmd-status = My appeals
cmd-language = Change language
cmd-help = Help
cmd-cancel = Cancel the current appeal
help =
    <b>What this bot does</b>
    It helps you file an appeal to the Human Rights Ombudsman of Kazakhstan and his representatives in the regions: it asks a few questions, explains who can help, and gives you an appeal number.
    /new — file an appeal
    /status — your appeals and their state
    /language — change the language
    /cancel — delete an unfinished appeal
    /forget — erase my data
    /clear — delete this chat's messages
    The Ombudsman does not replace the police, the prosecutor or the courts. If someone is in danger right now, call 102.
language-changed = Language changed.
status-empty = You have no appeals yet. To file one, send /new.
status-title = <b>Your appeals:</b>
status-line = { $number } — { $category } — { $status } ({ $date })
status-new = received
status-in_progress = being considered
status-closed = closed
status-draft = You also have an unfinished appeal: send /start to continue it.
