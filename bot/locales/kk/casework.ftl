# Өкілдер жағы (карточкалар, батырмалар, сұраулар) және өтініш берілгеннен кейін азаматқа келетін хабарламалар.
# Азаматқа келетін хабарламалар әдейі бейтарап: телефонды бірнеше адам пайдалануы мүмкін,
# сондықтан онда тек жаңалық бар екені айтылады; толық мәлімет батырма арқылы ашылады.

## Өтініш карточкасы

card-urgent = 🔴 <b>ШҰҒЫЛ</b>
card-title = <b>{ $number }</b> · { $category }
card-region = Кезек: { $region }
card-filer = Кім үшін: { $filer }
card-about = Кім туралы: { $name }
card-institution = Мекеме: { $institution }
card-excerpt = <i>{ $excerpt }</i>
card-attachments = Файлдар: { $count }
card-due = Жауап беру мерзімі: { $date }
card-overdue = ⚠️ Мерзімі { $date } күні өтіп кетті
card-old = Оқиғаға бір жылдан астам уақыт өткен: қарау-қарамауды шешіңіз.
card-withdrawn = Азамат өтінішін кері қайтарып алды.
card-forwarded = Жіберілген орган: { $body }
card-status-new = Жай-күйі: жаңа, жұмысқа алынбаған
card-status-in_progress = Жай-күйі: жұмыста ({ $who })
card-status-closed = Жай-күйі: жабылды ({ $outcome })
queue-central = Орталық аппарат
queue-triage = Сұрыптау

## Батырмалар

staff-btn-take = ✋ Жұмысқа алу
staff-btn-release = Кезекке қайтару
staff-btn-ask = ❓ Азаматтан сұрау
staff-btn-note = 📝 Жазба
staff-btn-reassign = ↪️ Басқа кезекке беру
staff-btn-forward = 📨 Органға жіберілді
staff-btn-close = ✅ Жабу
staff-btn-files = 📎 Файлдар ({ $count })
staff-btn-thread = 🧾 Тарихы
staff-btn-open = Өтінішті ашу
staff-view-new = Жаңа
staff-view-mine = Менікі
staff-view-overdue = Мерзімі өткен
staff-view-urgent = Шұғыл
staff-view-all = Барлығы
staff-queue-more = Тағы ▾

## Қызметкерлерге арналған сұраулар мен жауаптар

staff-new-appeal = 📥 Жаңа өтініш — { $queue }
staff-queue-title = <b>Өтініштер: { $view }</b>
staff-queue-empty = «{ $view }» бөлімінде өтініш жоқ.
staff-ask-question = { $number } өтініші бойынша сұрағыңызды жазыңыз. Бот оны азаматқа жібереді, сіздің аккаунтыңыз көрсетілмейді. Тоқтату үшін /cancel жіберіңіз.
staff-ask-note = { $number } өтінішіне ішкі жазба жазыңыз. Азамат оны ешқашан көрмейді. Тоқтату үшін /cancel жіберіңіз.
staff-ask-forward = { $number } өтініші қай органға жіберілді? Органның атауын жазыңыз. Тоқтату үшін /cancel жіберіңіз.
staff-ask-close-message = { $number } өтініші бойынша азаматқа жауап жазыңыз немесе хабарламасыз жабу үшін «-» жіберіңіз. Тоқтату үшін /cancel жіберіңіз.
staff-pick-outcome = { $number } өтініші қандай нәтижемен жабылады?
staff-pick-queue = { $number } өтінішін қай кезекке беру керек?
staff-need-text = Мәтін жіберіңіз.
staff-cancelled = Тоқтатылды.
staff-taken = Сіз өтінішті жұмысқа алдыңыз.
staff-released = Сіз өтінішті қайтардыңыз: ол қайтадан кезекте.
staff-question-sent = { $number } өтініші бойынша сұрақ азаматқа жіберілді.
staff-note-added = { $number } өтінішіне жазба қосылды.
staff-reassigned = { $number } өтініші мына кезекке берілді: { $queue }.
staff-forwarded = Тіркелді: { $number } өтініші уәкілетті органға жіберілді — { $body }.
staff-closed = { $number } өтініші жабылды: { $outcome }. Азаматқа хабарланды.
staff-citizen-answered = 💬 Азамат { $number } өтініші бойынша сұрағыңызға жауап берді.
staff-citizen-info = 📎 Азамат { $number } өтінішін толықтырды.
staff-citizen-withdrew = Азамат { $number } өтінішін кері қайтарып алды.
staff-reminder = ⏰ { $number } өтініші бойынша жауап беру мерзімі — { $date }.
staff-escalated = ⚠️ Мерзімі өтті: { $number } өтініші бойынша жауап { $date } күні берілуі керек еді.
staff-thread-title = <b>{ $number } өтінішінің тарихы</b>
event-submitted = { $date } · берілді
event-taken = { $date } · жұмысқа алынды ({ $who })
event-released = { $date } · кезекке қайтарылды ({ $who })
event-question = { $date } · сұрақ: { $text }
event-answer = { $date } · азаматтың жауабы: { $text }
event-citizen_info = { $date } · азамат толықтырды: { $text }
event-note = { $date } · жазба ({ $who }): { $text }
event-reassigned = { $date } · басқа кезекке берілді ({ $who })
event-forwarded = { $date } · органға жіберілді: { $text }
event-closed = { $date } · жабылды: { $text }
event-reminded = { $date } · мерзім туралы еске салу
event-escalated = { $date } · мерзімнің өткені туралы орталық аппаратқа хабарланды
event-withdrawn = { $date } · азамат кері қайтарып алды
event-viewed = { $date } · қараған: { $who }

## Бас тарту себептері

staff-no-access = Бұл өтініш сіздің кезектеріңізде жоқ.
staff-already-closed = Бұл өтініш жабылып қойған.
staff-already-mine = Бұл өтінішпен қазір өзіңіз жұмыс істеп жатырсыз.
staff-taken-by-other = Бұл өтінішті жаңа ғана басқа қызметкер жұмысқа алды.
staff-not-yours = Бұл өтінішпен басқа әріптесіңіз жұмыс істеп жатыр.
staff-take-first = Алдымен өтінішті жұмысқа алыңыз.
staff-not-staff = Бұл тек Уәкілдің қызметкерлеріне арналған.
staff-unknown-appeal = Сіздің кезектеріңізде мұндай өтініш жоқ.
staff-iin-found = Сіздің кезектеріңіздегі осы ЖСН бар өтініштер: { $count }
staff-iin-more = Осы ЖСН бар бұрынғы өтініштер: { $count }
staff-unknown-user = { $user } қызметкер ретінде тіркелмеген.

## Әкімшілік

staff-add-usage = Пайдалану үлгісі: /staff_add USER_ID representative REGION [аты], /staff_add USER_ID central [аты], /staff_add USER_ID admin [аты]; /staff_remove USER_ID.
staff-added = { $user } тіркелді: { $role } ({ $region }).
staff-removed = { $user } үшін қолжетімділік жабылды.
staff-list-title = <b>Қызметкерлер</b>
staff-list-line = { $active } { $user } · { $role } · { $region } · { $name }

## Нәтижелер

outcome-explained = түсіндірілді
outcome-forwarded = уәкілетті органға жіберілді
outcome-satisfied = қанағаттандырылды

## Азамат не көреді

notice-taken = { $number } өтінішіңіз бойынша жаңалық бар: Уәкілдің өкілі оны қарауға кірісті.
notice-question = { $number } өтінішіңіз бойынша сұрақ бар.
notice-reassigned = { $number } өтінішіңіз Уәкілдің басқа бөлімшесіне берілді.
notice-forwarded = { $number } өтінішіңіз бойынша жаңалық бар.
notice-closed = { $number } өтінішіңізді қарау аяқталды.
button-show-question = Сұрақты көрсету
button-show-details = Толығырақ
button-answer = Жауап беру
button-add-info = ➕ Толықтыру: { $number }
button-withdraw = Қайтарып алу: { $number }
button-withdraw-yes = Иә, қайтарып аламын
citizen-question =
    <b>{ $number } өтінішіңіз бойынша сұрақ:</b>
    { $text }
citizen-answer-prompt = { $number } өтініші бойынша сұраққа жауабыңызды жазыңыз. Файл да жіберуге болады. Тоқтату үшін /cancel жіберіңіз.
citizen-answer-sent = Рақмет, { $number } өтініші бойынша жауабыңыз жеткізілді.
citizen-add-info-prompt = { $number } өтінішіне не қосқыңыз келетінін жазыңыз немесе файл жіберіңіз. Тоқтату үшін /cancel жіберіңіз.
citizen-info-added = { $number } өтінішіңізге қосылды.
citizen-input-cancelled = Тоқтатылды. Ештеңе қосылған жоқ.
citizen-closed-detail =
    <b>{ $number } өтініші: { $outcome }.</b>
    { $message }
citizen-forwarded-detail = { $number } өтінішіңіз уәкілетті органға жіберілді: { $body }. Бұл орган сізге жауап беруге міндетті, ал Уәкілдің аппараты оның қаралуын бақылайды.
citizen-appeal-closed = Бұл өтініш жабылып қойған.
citizen-withdraw-ask = { $number } өтінішін кері қайтарып аласыз ба? Ол бұдан әрі қаралмайды.
citizen-withdrawn = { $number } өтініші кері қайтарып алынды.
citizen-withdrawn-urgent = { $number } өтініші бойынша сұрауыңыз ескерілді. Өтініште біреуге қауіп төніп тұрғаны айтылғандықтан, қызметкерлер оны бәрібір қарап шығады.

## Статистика

stats-usage = Пайдалану үлгісі: /stats, /stats 2026 немесе /stats 2026-01-01 2026-03-31.
stats-title = <b>{ $start } – { $end } аралығындағы өтініштер</b>
stats-total = Барлығы: { $count }
stats-urgent = Шұғыл: { $count }
stats-custody = Қамаудағы адамдар туралы: { $count }
stats-satisfied-share = Жабылғандардың ішінде қанағаттандырылғаны: { $share }%
stats-by-category = <b>Тақырыптар бойынша</b>
stats-by-region = <b>Өңірлер бойынша</b>
stats-by-outcome = <b>Нәтижелер бойынша</b>
stats-line = { $name }: { $count }
stats-none = —
stats-outcome-explained = түсіндірілді
stats-outcome-forwarded = жіберілді
stats-outcome-satisfied = қанағаттандырылды
stats-outcome-open = қаралуда
stats-outcome-withdrawn = қайтарып алынды

cmd-queue = Менің кезектерімдегі өтініштер
cmd-appeal = Өтінішті нөмірі немесе азаматтың ЖСН-і бойынша ашу
cmd-stats = Кезең бойынша статистика
cmd-staff = Қызметкерлер тізімі
cmd-staff_add = Қызметкерді тіркеу
cmd-staff_remove = Қызметкердің қолжетімділігін жабу
