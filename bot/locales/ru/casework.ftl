# Сторона представителей (карточки, кнопки, подсказки) и то, что гражданин получает после подачи.
# Уведомления гражданам намеренно нейтральны: телефоном могут пользоваться несколько человек,
# поэтому в них сказано только, что есть новости; подробности открываются по кнопке.

## Карточка обращения

card-urgent = 🔴 <b>СРОЧНО</b>
card-title = <b>{ $number }</b> · { $category }
card-region = Очередь: { $region }
card-filer = Подано: { $filer }
card-about = О ком: { $name }
card-institution = Учреждение: { $institution }
card-excerpt = <i>{ $excerpt }</i>
card-attachments = Файлы: { $count }
card-due = Срок ответа: { $date }
card-overdue = ⚠️ Просрочено с { $date }
card-old = События старше года: решите, рассматривать ли обращение.
card-withdrawn = Гражданин отозвал обращение.
card-forwarded = Передано в орган: { $body }
card-status-new = Статус: новое, не взято в работу
card-status-in_progress = Статус: в работе ({ $who })
card-status-closed = Статус: закрыто ({ $outcome })
queue-central = Центральный аппарат
queue-triage = Сортировка

## Кнопки

staff-btn-take = ✋ Взять в работу
staff-btn-release = Вернуть в очередь
staff-btn-ask = ❓ Вопрос гражданину
staff-btn-note = 📝 Заметка
staff-btn-reassign = ↪️ Переназначить
staff-btn-forward = 📨 Передано в орган
staff-btn-close = ✅ Закрыть
staff-btn-files = 📎 Файлы ({ $count })
staff-btn-thread = 🧾 История
staff-btn-open = Открыть обращение
staff-view-new = Новые
staff-view-mine = Мои
staff-view-overdue = Просроченные
staff-view-urgent = Срочные
staff-view-all = Все
staff-queue-more = Ещё ▾

## Подсказки и ответы сотрудникам

staff-new-appeal = 📥 Новое обращение — { $queue }
staff-queue-title = <b>Обращения: { $view }</b>
staff-queue-empty = Нет обращений в разделе «{ $view }».
staff-ask-question = Напишите вопрос по обращению { $number }. Бот отправит его гражданину, ваш аккаунт показан не будет. Для отмены — /cancel.
staff-ask-note = Напишите служебную заметку к обращению { $number }. Гражданин её никогда не увидит. Для отмены — /cancel.
staff-ask-forward = В какой орган передано обращение { $number }? Напишите его название. Для отмены — /cancel.
staff-ask-close-message = Напишите ответ гражданину по обращению { $number } или отправьте «-», чтобы закрыть без сообщения. Для отмены — /cancel.
staff-pick-outcome = С каким результатом закрыть обращение { $number }?
staff-pick-queue = В какую очередь передать обращение { $number }?
staff-need-text = Пожалуйста, отправьте текст.
staff-cancelled = Отменено.
staff-taken = Вы взяли обращение в работу.
staff-released = Вы вернули обращение: оно снова в очереди.
staff-question-sent = Вопрос по обращению { $number } отправлен гражданину.
staff-note-added = Заметка добавлена к обращению { $number }.
staff-reassigned = Обращение { $number } передано в очередь: { $queue }.
staff-forwarded = Записано: обращение { $number } передано в уполномоченный орган — { $body }.
staff-closed = Обращение { $number } закрыто: { $outcome }. Гражданин уведомлён.
staff-citizen-answered = 💬 Гражданин ответил на ваш вопрос по обращению { $number }.
staff-citizen-info = 📎 Гражданин дополнил обращение { $number }.
staff-citizen-withdrew = Гражданин отозвал обращение { $number }.
staff-reminder = ⏰ Срок ответа по обращению { $number } — { $date }.
staff-escalated = ⚠️ Просрочено: срок ответа по обращению { $number } истёк { $date }.
staff-thread-title = <b>История обращения { $number }</b>
event-submitted = { $date } · подано
event-taken = { $date } · взято в работу ({ $who })
event-released = { $date } · возвращено в очередь ({ $who })
event-question = { $date } · вопрос: { $text }
event-answer = { $date } · ответ гражданина: { $text }
event-citizen_info = { $date } · гражданин дополнил: { $text }
event-note = { $date } · заметка ({ $who }): { $text }
event-reassigned = { $date } · передано в другую очередь ({ $who })
event-forwarded = { $date } · передано в орган: { $text }
event-closed = { $date } · закрыто: { $text }
event-reminded = { $date } · напоминание о сроке
event-escalated = { $date } · о просрочке сообщено в центральный аппарат
event-withdrawn = { $date } · отозвано гражданином
event-viewed = { $date } · просмотрено: { $who }

## Отказы

staff-no-access = Этого обращения нет в ваших очередях.
staff-already-closed = Это обращение уже закрыто.
staff-already-mine = Вы уже работаете с этим обращением.
staff-taken-by-other = Это обращение только что взял в работу другой сотрудник.
staff-not-yours = С этим обращением работает другой коллега.
staff-take-first = Сначала возьмите обращение в работу.
staff-not-staff = Это доступно только сотрудникам Уполномоченного.
staff-unknown-appeal = В ваших очередях нет такого обращения.
staff-iin-found = Обращений с этим ИИН в ваших очередях: { $count }
staff-iin-more = Более ранние обращения с этим ИИН: { $count }
staff-unknown-user = { $user } не зарегистрирован как сотрудник.

## Администрирование

staff-add-usage = Формат: /staff_add USER_ID representative REGION [имя], /staff_add USER_ID central [имя], /staff_add USER_ID admin [имя]; /staff_remove USER_ID.
staff-added = { $user } зарегистрирован: { $role } ({ $region }).
staff-removed = Доступ для { $user } закрыт.
staff-list-title = <b>Сотрудники</b>
staff-list-line = { $active } { $user } · { $role } · { $region } · { $name }

## Результаты

outcome-explained = разъяснено
outcome-forwarded = передано в уполномоченный орган
outcome-satisfied = удовлетворено

## Что видит гражданин

notice-taken = По вашему обращению { $number } есть новости: представитель Уполномоченного приступил к его рассмотрению.
notice-question = По вашему обращению { $number } есть вопрос.
notice-reassigned = Ваше обращение { $number } передано в другое подразделение Уполномоченного.
notice-forwarded = По вашему обращению { $number } есть новости.
notice-closed = Рассмотрение вашего обращения { $number } завершено.
button-show-question = Показать вопрос
button-show-details = Подробнее
button-answer = Ответить
button-add-info = ➕ Дополнить { $number }
button-withdraw = Отозвать { $number }
button-withdraw-yes = Да, отозвать
citizen-question =
    <b>Вопрос по вашему обращению { $number }:</b>
    { $text }
citizen-answer-prompt = Напишите ответ на вопрос по обращению { $number }. Можно также отправить файл. Для отмены — /cancel.
citizen-answer-sent = Спасибо, ваш ответ по обращению { $number } передан.
citizen-add-info-prompt = Напишите, что вы хотите добавить к обращению { $number }, или отправьте файл. Для отмены — /cancel.
citizen-info-added = Добавлено к вашему обращению { $number }.
citizen-input-cancelled = Отменено. Ничего не добавлено.
citizen-closed-detail =
    <b>Обращение { $number }: { $outcome }.</b>
    { $message }
citizen-forwarded-detail = Ваше обращение { $number } передано в уполномоченный орган: { $body }. Этот орган обязан дать вам ответ, а аппарат Уполномоченного контролирует его рассмотрение.
citizen-appeal-closed = Это обращение уже закрыто.
citizen-withdraw-ask = Отозвать обращение { $number }? Оно больше не будет рассматриваться.
citizen-withdrawn = Обращение { $number } отозвано.
citizen-withdrawn-urgent = Ваша просьба по обращению { $number } принята. Поскольку в обращении сообщается об опасности для человека, сотрудники всё же ознакомятся с ним.

## Статистика

stats-usage = Формат: /stats, /stats 2026 или /stats 2026-01-01 2026-03-31.
stats-title = <b>Обращения с { $start } по { $end }</b>
stats-total = Всего: { $count }
stats-urgent = Срочных: { $count }
stats-custody = О людях в заключении: { $count }
stats-satisfied-share = Доля удовлетворённых среди закрытых: { $share }%
stats-by-category = <b>По темам</b>
stats-by-region = <b>По регионам</b>
stats-by-outcome = <b>По результатам</b>
stats-line = { $name }: { $count }
stats-none = —
stats-outcome-explained = разъяснено
stats-outcome-forwarded = передано в орган
stats-outcome-satisfied = удовлетворено
stats-outcome-open = на рассмотрении
stats-outcome-withdrawn = отозвано

cmd-queue = Обращения в моих очередях
cmd-appeal = Открыть обращение по номеру или ИИН гражданина
cmd-stats = Статистика за период
cmd-staff = Список сотрудников
cmd-staff_add = Зарегистрировать сотрудника
cmd-staff_remove = Закрыть доступ сотруднику
