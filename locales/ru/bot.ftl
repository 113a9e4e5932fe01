# Бот управления, по-русски. Тексты — Telegram HTML: <b>, <i>; & < > в тексте экранировать.

## Команды (set_my_commands)
cmd-start = Запустить постинг или открыть меню
cmd-stop = Остановить постинг сейчас
cmd-status = Что происходит
cmd-menu = Главное меню
cmd-help = Как работает бот
cmd-language = Сменить язык

welcome = 👋 Добро пожаловать в <b>autoposter</b>. Он публикует ваше объявление в группы Telegram, где вы состоите, с ваших собственных аккаунтов, точно по расписанию. Настройте ниже сообщение, группы, аккаунты и тайминг, затем нажмите «Старт».
help = <b>autoposter</b> публикует ваше сообщение в ваши группы с ваших аккаунтов по расписанию.
    /menu — главное меню: Сообщение, Группы, Аккаунты, Тайминг, Расписание, Старт/Стоп, Статус, Тариф, Язык
    /start — запустить постинг (или показать меню)
    /stop — сразу остановить постинг
    /status — идёт ли постинг, текущий цикл, отчёт о прошлом цикле
    /language — английский или русский
    /cancel — отменить текущий вопрос
unknown-command = Я не знаю такой команды. /help — список того, что я умею.
use-the-menu = Пользуйтесь кнопками ниже или /help.
text-expected = Ответьте, пожалуйста, текстом или нажмите «Отмена».
cancelled = Отменено. Ничего не изменилось.
cancel-nothing = Отменять нечего: бот ни о чём не спрашивал, всё отправленное ранее сохранено.
menu-out-of-date = Это меню устарело. Откройте /menu, чтобы получить свежее.
error-unexpected = Что-то пошло не так: { $reason }. Попробуйте ещё раз.
error-unexpected-short = У нас что-то пошло не так. Ничего не изменилось; попробуйте через минуту.

## Главное меню
main-menu = <b>autoposter</b>
    Тариф: { $plan }
    Постинг: { $state }
state-running = ▶️ идёт
state-stopped = ⏸ остановлен
button-message = ✉️ Сообщение
button-groups = 👥 Группы
button-accounts = 👤 Аккаунты
button-timing = ⏱ Тайминг
button-preview = 🗓 Расписание
button-start = ▶️ Старт
button-stop = ⏹ Стоп
button-status = 📊 Статус
button-plan = 💳 Тариф
button-language = 🌐 Язык
button-back = « Назад
button-cancel = ✖️ Отмена
button-refresh = 🔄 Обновить
button-pause = ⏸
button-resume = ▶️
button-remove = 🗑 Удалить
button-confirm-remove = 🗑 Да, удалить
button-add-group = ➕ Добавить группу
button-add-account = ➕ Добавить аккаунт

## Тарифы
plan-starter = STARTER
plan-enterprise = ENTERPRISE
plan-none = пока нет
plan-line = { $plan }, до { $date }
plan-line-forever = { $plan }, бессрочно
plan-line-expired = { $plan }, истёк { $date }
plan-starter-explained = STARTER работает в режиме starter: аккаунты публикуют по очереди, равномерно распределённые по длине цикла.
plan-enterprise-explained = ENTERPRISE работает в режиме enterprise: все аккаунты публикуют одновременно.
plan-title = <b>Тариф</b>: { $plan }
plan-how-to-get = У вас пока нет тарифа: купите его ниже за звёзды Telegram или попросите администратора.
plan-starter-only = Тариф STARTER требует режима выполнения starter. Режим enterprise с тарифом STARTER использовать нельзя.
plan-enterprise-only = Тариф ENTERPRISE требует режима выполнения enterprise. Режим starter с тарифом ENTERPRISE использовать нельзя.
mode-is-plan-mode = Это режим вашего тарифа.
mode-no-plan = Режим задаётся тарифом: STARTER работает в режиме starter, ENTERPRISE — в режиме enterprise. У вас пока нет тарифа: купите его на экране «Тариф» или попросите администратора.

## Сообщение
message-screen = <b>Ваше сообщение</b> (его будут публиковать аккаунты):

    { $message }

    Чтобы заменить его, пришлите мне новый пост обычным сообщением; форматирование (жирный, ссылки, …) сохраняется. Текст длиной 1–{ $max } символов, фото, видео, GIF или файл с подписью либо альбом из 2–10 фото и видео.
message-screen-empty = <b>Ваше сообщение</b>: пока не задано.
    Пришлите мне пост обычным сообщением; форматирование (жирный, ссылки, …) сохраняется. Текст длиной 1–{ $max } символов, фото, видео, GIF или файл с подписью либо альбом из 2–10 фото и видео.
message-saved = ✅ Сообщение сохранено.
message-empty = Сообщение пустое. Пришлите текст длиной 1–{ $max } символов.
message-too-long = { $len ->
    [one] В сообщении { $len } символ; Telegram допускает не более { $max }. Сократите его и пришлите снова.
    [few] В сообщении { $len } символа; Telegram допускает не более { $max }. Сократите его и пришлите снова.
   *[other] В сообщении { $len } символов; Telegram допускает не более { $max }. Сократите его и пришлите снова.
}
message-media = Такое сообщение опубликовать нельзя. Пришлите текст (1–{ $max } символов), фото, видео, GIF или файл с подписью либо альбом из 2–10 фото и видео.

## Группы
groups-title = <b>Группы</b> ({ $count }), публикация в этом порядке:
groups-empty = Групп пока нет.
group-ask = Пришлите группу: @username, ссылку t.me или числовой id. Ваши аккаунты уже должны состоять в ней и иметь право писать.
group-added = ✅ { $group } добавлена.
group-duplicate = { $group } уже есть в вашем списке.
group-bad-reference = Это не ссылка на группу. Пришлите @username (5–32 латинские буквы, цифры или _), ссылку t.me/username или числовой id, например -1001234567890.
group-private-invite = Пригласительные ссылки не принимаются: autoposter никогда не вступает в группы. Добавьте свой аккаунт в группу сами и пришлите числовой id группы.
group-remove-confirm = Удалить { $name } из ваших групп?
group-removed = 🗑 Группа удалена.
group-removed-name = (удалённая группа)
groups-limit = Достигнут предел: { $max } групп.

## Аккаунты
accounts-title = <b>Аккаунты</b> ({ $count }):
accounts-empty = Аккаунтов пока нет.
account-ask-phone = Пришлите номер телефона аккаунта в международном формате, например +7 916 123-45-67. Код входа придёт в приложение Telegram этого аккаунта.
account-bad-phone = Это не номер телефона. Пришлите его в международном формате: + и 7–15 цифр, например +7 916 123-45-67.
account-duplicate = { $phone } уже есть среди ваших аккаунтов.
account-added = ✅ Аккаунт { $account } добавлен.
account-remove-confirm = Удалить аккаунт { $name }? Он перестанет публиковать.
account-removed = 🗑 Аккаунт удалён.
account-quarantined-cannot-resume = Telegram остановил этот аккаунт. Удалите его и добавьте снова, когда проблема будет решена.
accounts-limit = Достигнут предел: { $max } аккаунтов.
n-accounts = { $count ->
    [one] { $count } аккаунт
    [few] { $count } аккаунта
    [many] { $count } аккаунтов
   *[other] { $count } аккаунта
}
health-ok = ✅ в порядке
health-paused = ⏸ на паузе
health-waiting = ⏳ ждёт до { $time } (flood wait от Telegram)
health-quarantined = ⛔ на карантине ({ $reason })

## Вход
login-unavailable = Добавление аккаунтов на этом сервере пока недоступно.
login-in-progress = Вход уже выполняется. Завершите его или сначала нажмите «Отмена».
login-keypad = Код входа для { $phone }: <b>{ $code }</b>
    Telegram отправил код в приложение этого аккаунта. Наберите его кнопками ниже — никогда не вставляйте его в чат: тогда Telegram его аннулирует.
login-use-keypad = Наберите код кнопками клавиатуры, а не сообщением: Telegram аннулирует коды, отправленные в чат.
login-code-empty = Сначала наберите код.
login-not-test-number = На этом сервере аккаунты симулируются: используйте тестовый номер Telegram 99966XYYYY (X — цифра от 1 до 9); его код — X пять раз.
login-phone-invalid = Telegram не знает этот номер.
login-invalid-code = ❌ Неверный код. Наберите его снова.
login-code-expired = Срок действия кода истёк. Добавьте аккаунт снова, чтобы получить новый.
login-flood-wait = Telegram просит подождать { $secs } с перед следующей попыткой входа.
login-telegram-unavailable = Не удалось связаться с Telegram. Попробуйте через минуту.

## Тайминг
timing-title = <b>Тайминг</b>
timing-mode = Режим: { $plan } (задаётся тарифом)
timing-mode-none = Режим: задаётся тарифом (тарифа пока нет)
timing-delay-posts = Пауза между постами: { $secs } с
timing-delay-cycles = Пауза между циклами: { $secs } с
timing-cycle-minutes = Длина цикла: { $minutes } мин
timing-cycle-minutes-unset = Длина цикла: не задана
floor-warning = ⚠️ Пауза между постами ({ $requested } с) меньше минимума ({ $applied } с); используется { $applied } с.
button-delay-posts = Пауза между постами
button-delay-cycles = Пауза между циклами
button-cycle-minutes = Длина цикла
button-mode-starter = Режим starter
button-mode-enterprise = Режим enterprise
field-delay-posts = паузу между постами
field-delay-cycles = паузу между циклами
field-cycle-minutes = длину цикла
unit-seconds = секундах
unit-minutes = минутах
timing-ask = Пришлите { $field } в { $unit } (число до { $max }; подходят и 2.5, и 2,5).
timing-saved = ✅ Сохранено. Применится со следующего цикла.
timing-not-a-number = Это не число.
timing-not-a-number-range = Это не число. Пришлите { $field } в { $unit }, от { $min } до { $max }.
timing-not-positive = { $field_nom }: не меньше { $min } { $unit_short }.
timing-negative = { $field_nom }: значение не может быть отрицательным.
timing-too-large = { $field_nom }: не больше { $max } { $unit_short }.
feasibility-no-plan = Выполнимость: будет показана, когда у вас появится тариф.
feasibility-need-counts = Выполнимость: добавьте хотя бы один активный аккаунт и одну группу, чтобы её проверить.
feasible-starter = ✅ Выполнимо: каждый аккаунт публикует в течение { $runtime } с; аккаунты ({ $accounts }) стартуют с интервалом { $offset } с.
feasible-starter-one = ✅ Выполнимо: аккаунт публикует в течение { $runtime } с в каждом цикле. С одним аккаунтом длина цикла ни на что не влияет: каждый цикл начинается через { $pause } с после окончания предыдущего.
feasible-enterprise = { $accounts ->
    [one] ✅ Выполнимо: аккаунт публикует в течение { $runtime } с за цикл.
   *[other] ✅ Выполнимо: все аккаунты ({ $accounts }) публикуют одновременно; сессия длится { $runtime } с.
}
infeasible = Режим starter невыполним: длительность сессии ({ $runtime } с) должна быть меньше смещения между сессиями ({ $offset } с). Увеличьте длину цикла или уменьшите число групп/паузу.

## Расписание
preview-title-if-started = <b>Первый цикл, если запустить сейчас</b> ({ $plan }, с { $time }):
preview-title-next = <b>Следующий цикл</b> ({ $plan }, начало в { $time }):
preview-title-after-current = <b>Следующий цикл</b> ({ $plan }), после окончания текущего; время от его начала:
preview-session = { $account }: начало { $start }, конец { $end }
preview-overlap =    ⚠️ пересекается с { $next } на { $secs } с
preview-next-cycle = Затем пауза { $secs } с, и начинается следующий цикл.

## Старт / стоп
started = ✅ Запущено. Первый пост в { $time }.
start-already-running = Уже запущено. /stop — остановить.
start-no-plan = ❌ Запуск невозможен: у вас нет тарифа. Купите его на экране «Тариф» или попросите администратора.
start-plan-expired = ❌ Запуск невозможен: ваш тариф истёк { $date }. Продлите его на экране «Тариф».
start-no-message = ❌ Запуск невозможен: нет сообщения. Откройте «Сообщение» и пришлите пост.
start-no-settings = ❌ Запуск невозможен: тайминг не задан. Откройте «Тайминг».
start-no-accounts = ❌ Запуск невозможен: нет исправного аккаунта. Добавьте аккаунт или снимите приостановленный с паузы в разделе «Аккаунты».
start-no-groups = ❌ Запуск невозможен: нет активной группы. Добавьте её в разделе «Группы».
start-no-cycle-length = ❌ Запуск невозможен: для STARTER нужна длина цикла. Задайте её в разделе «Тайминг».
start-unknown-argument = /start принимает либо ничего, либо режим вашего тарифа: starter или enterprise.
stopped = ⏹ Остановлено. Больше ни одного поста не будет.
stop-not-running = Постинг не запущен; останавливать нечего.

## Статус
status-running = <b>Статус</b>: ▶️ идёт
status-stopped = <b>Статус</b>: ⏸ остановлен
status-cycle = Идёт цикл { $seq }
status-next-cycle = Цикл { $seq } начнётся в { $time }
status-next-post = Следующий пост: { $time }
status-no-cycle = Ни один цикл ещё не завершён.
status-last-cycle = Прошлый цикл ({ $seq }): опубликовано { $sent }, ошибок { $failed }, пропущено { $skipped }
status-last-cycle-stopped = Прошлый цикл ({ $seq }) остановлен, не завершившись: опубликовано { $sent }, ошибок { $failed }, пропущено { $skipped }, не опубликовано { $unposted }
status-group-unposted = , не опубликовано { $count }
status-group-line = • { $group }: опубликовано { $sent }, ошибок { $failed }, пропущено { $skipped }
status-group-reason = ; последняя проблема: { $reason }
status-accounts = <b>Аккаунты</b>: в порядке { $ok } из { $count }
status-groups = <b>Группы</b>: активны { $ok } из { $count }

## Язык
language-choose = Выберите язык:
language-set = ✅ Язык: русский.
language-unknown = Я говорю по-английски (en) и по-русски (ru).
stopped-by-engine = ⏹ Постинг остановлен: следующий цикл не смог начаться.
    { $reason }
stopped-plan-expired = ⏹ Постинг остановлен: ваш тариф истёк { $date }. Продлите его на экране «Тариф», затем нажмите «Старт».
cmd-cancel = Отменить текущий вопрос
message-screen-long = <b>Ваше сообщение</b>: { $len } симв., слишком длинное, чтобы показать его в этом меню. «Показать пост» пришлёт его точно в том виде, в каком его опубликуют аккаунты.
    Чтобы заменить его, пришлите мне новый пост обычным сообщением; форматирование сохраняется: текст, фото, видео, GIF или файл с подписью либо альбом.
button-show-post = 👁 Показать пост
silent-on = 🔕 <b>Тихие посты</b>: включены — участники групп не слышат звука уведомления о ваших постах.
silent-off = 🔔 <b>Тихие посты</b>: выключены — участники групп слышат обычный звук уведомления о ваших постах.
button-silent-on = 🔕 Тихие посты: включить
button-silent-off = 🔔 Тихие посты: выключить
list-more = …и ещё { $count }
health-paused-why = ⏸ на паузе ({ $reason })
reason-customer = вами
reason-flood_wait = flood wait от Telegram
reason-slow_mode = медленный режим группы
reason-write_forbidden = аккаунту нельзя писать в группу
reason-banned = аккаунт заблокирован в группе
reason-channel_private = аккаунт больше не состоит в группе
reason-account_revoked = сессия аккаунта отозвана
reason-account_deactivated = аккаунт удалён или заблокирован Telegram
reason-peer_flood = Telegram ограничил аккаунт (PEER_FLOOD)
reason-network_error = ошибка сети
reason-media_forbidden = группа не принимает медиа от аккаунта
reason-photos_forbidden = группа не принимает фото от аккаунта
reason-videos_forbidden = группа не принимает видео от аккаунта
reason-documents_forbidden = группа не принимает файлы от аккаунта
reason-gifs_forbidden = группа не принимает GIF от аккаунта
reason-payment_required = группа берёт звёзды за каждое сообщение (не оплачиваем)
reason-payment_required-stars = группа просит { $stars } ⭐ за каждое сообщение; autoposter никогда их не платит
reason-topic_closed = тема группы закрыта
reason-topic_deleted = тема группы удалена
reason-albums_refused = медленный режим группы не пропускает альбомы
reason-file_reference_expired = медиа пришлось загрузить заново
message-screen-forward = <b>Ваше сообщение</b>: { $count ->
    [one] { $count } сообщение
    [few] { $count } сообщения
    [many] { $count } сообщений
   *[other] { $count } сообщения
    } из { $chat }, <b>пересылка</b> — в группах видно «Переслано из», оригинал в точности. «Показать пост» покажет, как его увидят.
    Чтобы заменить, пришлите новый пост или перешлите другое сообщение из вашего канала.
message-screen-copy = <b>Ваше сообщение</b>: { $count ->
    [one] { $count } сообщение
    [few] { $count } сообщения
    [many] { $count } сообщений
   *[other] { $count } сообщения
    } из { $chat }, <b>копия</b> — публикуется как собственное сообщение аккаунта, без «Переслано из». «Показать пост» покажет, как его увидят.
    Чтобы заменить, пришлите новый пост или перешлите другое сообщение из вашего канала.
account-cannot-read-source = ⚠️ Этот аккаунт не может публиковать ваш пост из { $chat }: { $reason }. Его публикации не пройдут, пока он не получит доступ (например, вступив в { $chat }).
forward-question = Это сообщение из <b>{ $chat }</b>. Как аккаунтам его публиковать?
    ↪️ <b>Переслать</b>: в группах видно «Переслано из { $chat }», оригинал в точности.
    📋 <b>Копировать</b>: как собственное сообщение аккаунта.
    Каждый аккаунт должен иметь доступ к { $chat }; я сейчас это проверю.
forward-question-link = Это ссылка на сообщение в <b>{ $chat }</b>. Публиковать аккаунтами это сообщение?
    ↪️ <b>Переслать</b>: в группах видно «Переслано из», оригинал в точности.
    📋 <b>Копировать</b>: как собственное сообщение аккаунта.
    🔗 Или опубликовать саму ссылку как текст.
    Каждый аккаунт должен иметь доступ к { $chat }; я сейчас это проверю.
button-link-as-text = 🔗 Опубликовать ссылку текстом
forward-not-shown = Меня нет в том чате, поэтому показать сообщение здесь я не могу; ваши аккаунты его видят и будут публиковать.
button-saved-messages = 📥 Из «Избранного»
saved-picker = Выберите пост из «Избранного» аккаунта <b>{ $account }</b> (сначала новые). Затем — переслать его или копировать.
saved-title = Избранное
saved-media = 🖼 (медиа без текста)
saved-one-account = «Избранное» у каждого аккаунта своё: пост из него возможен, только пока у вас один активный аккаунт. Если их несколько, публикуйте из своего канала (перешлите мне сообщение оттуда).
saved-empty = «Избранное» аккаунта пусто: сначала сохраните туда пост.
button-forward = ↪️ Переслать
button-copy = 📋 Копировать
forward-needs-account = Сначала добавьте аккаунт: пост из канала проверяется через ваши аккаунты (каждый должен иметь доступ к каналу).
forward-check-failed = Сообщение из <b>{ $chat }</b> не могут публиковать все аккаунты:
    { $problems }
    Ничего не изменено. Исправьте (например, вступите в канал этим аккаунтом) и нажмите кнопку ещё раз или пришлите другой пост.
forward-invalid = Из этого канала пост взять нельзя. Пришлите пост обычным сообщением.
forward-saved = ✅ Сохранено: аккаунты будут пересылать сообщение из { $chat }.
copy-saved = ✅ Сохранено: аккаунты будут публиковать копию сообщения из { $chat }.
reason-source-not_found = такого чата нет, или аккаунт его не видит
reason-source-not_readable = аккаунт не состоит в этом чате и не может его читать
reason-source-message_gone = сообщения { $id } больше нет (удалено?)
reason-source-protected = чат защищает содержимое: Telegram никому не даёт пересылать и копировать из него
reason-source-account_unavailable = аккаунт сейчас нельзя использовать (войти в него заново?)
reason-source-flood_wait = Telegram просит аккаунт подождать { $secs } с
reason-source-unavailable = Telegram недоступен; попробуйте через минуту
reason-unknown = неизвестно
start-invalid-settings = ❌ Запуск невозможен: одно из значений тайминга вне допустимых пределов. Откройте «Тайминг» и задайте его снова.
field-delay-posts-nom = Пауза между постами
field-delay-cycles-nom = Пауза между циклами
field-cycle-minutes-nom = Длина цикла
unit-s = с
unit-min = мин
status-groups-fine = { $count ->
    [one] • остальная { $count } группа: всё опубликовано
    [few] • остальные { $count } группы: всё опубликовано
   *[other] • остальные { $count } групп: всё опубликовано
}
status-groups-all-fine = { $count ->
    [1] • группа: всё опубликовано
   *[other] • все группы ({ $count }): всё опубликовано
}
notice-quarantined = ⛔ Telegram остановил аккаунт { $account }: { $reason }. Он больше не публикует. Удалите его и добавьте снова, когда проблема будет решена.
notice-group-refused = ⏸ { $group } не принимает посты от аккаунта { $account }: { $reason }. Для этого аккаунта группа поставлена на паузу; когда проблема будет решена, нажмите ▶ у группы в разделе «Группы».
health-refused-for = ⏸ на паузе для { $account } ({ $reason })
health-slow-mode-for = ⏳ медленный режим для { $account } до { $time }
reason-group_paused = группа на паузе для этого аккаунта
login-password-ask = 🔐 У { $phone } включена двухэтапная проверка. Пришлите пароль; сообщение будет сразу удалено.
login-password-ask-hint = 🔐 У { $phone } включена двухэтапная проверка. Пришлите пароль (подсказка: { $hint }); сообщение будет сразу удалено.
login-invalid-password = ❌ Неверный пароль. Пришлите его снова или нажмите «Отмена».
login-invalid-password-hint = ❌ Неверный пароль (подсказка: { $hint }). Пришлите его снова или нажмите «Отмена».
login-phone-banned = Telegram заблокировал этот номер; добавить его нельзя.
login-none = Этот вход уже не выполняется. Добавьте аккаунт снова.
button-import-session = 📥 Импорт сессии
import-ask = Пришлите строку сессии Telethon или Pyrogram. Сообщение будет сразу удалено; сессия будет проверена в Telegram и только потом сохранена в зашифрованном виде.
import-unrecognised = Это не строка сессии Telethon или Pyrogram. Пришлите строку точно в том виде, в каком её выдала библиотека, или нажмите «Отмена».
import-bot = Эта сессия принадлежит боту; публиковать здесь могут только пользовательские аккаунты.
import-test-servers = Эта сессия для тестовых серверов Telegram; с неё нельзя публиковать в настоящие группы.
import-unavailable = На этом сервере аккаунты симулируются: импорт строк сессий недоступен; войдите с тестовым номером.
import-not-authorized = Telegram сообщает, что эта сессия не авторизована (больше). Войдите в аккаунт по номеру телефона.
login-too-many = Сейчас на сервере идёт слишком много входов в аккаунты. Попробуйте через несколько минут.
login-too-many-codes = Запрошено слишком много кодов входа (для этого номера или из вашего чата). Попробуйте снова через { $minutes } мин.
login-telegram-unreadable = Telegram ответил так, что сервер не смог разобрать ответ. Ошибка записана в журнал; попробуйте позже.
login-key-refused = Telegram отклонил ключ соединения. Если это была строка сессии, сессия больше не действует: войдите в аккаунт по номеру телефона.
login-key-exchange = Не удалось установить защищённое соединение с Telegram (обмен ключами не удался). Ошибка записана в журнал; попробуйте позже.
login-telegram-unexpected = Telegram ответил ошибкой, которой на этом шаге быть не должно: { $name }. Ошибка записана в журнал; попробуйте позже.
login-internal = Во время входа на сервере что-то пошло не так. Ошибка записана в журнал; попробуйте позже.
import-other-user = Эта строка сессии принадлежит пользователю с id { $string_user }, но Telegram сообщает, что сессия принадлежит пользователю { $telegram_user }: строка повреждена или изменена. Скопируйте её заново из программы, которая её создала.
button-pick-groups = 📋 Выбрать из моих групп
pick-groups-title = Группы вашего аккаунта, которых ещё нет в списке; нажмите, чтобы добавить:
pick-groups-none = У вашего аккаунта нет других групп, где он может писать.
group-needs-account = Сначала добавьте аккаунт: каждая группа проверяется через ваши аккаунты (они должны состоять в ней и иметь право писать).
group-check-failed = { $group } нельзя добавить:
    { $problems }
    Ваши аккаунты уже должны состоять в группе и иметь право писать.
group-slow-mode = В группе медленный режим: один пост в { $secs } с с каждого аккаунта.
group-problem-not-found = такой группы нет
group-problem-not-a-group = это не группа и не канал
group-problem-not-member = не состоит в группе
group-problem-cannot-write = не может писать в группу
group-problem-account = аккаунт сейчас недоступен
group-problem-not-a-forum = группа не форум (в ней нет тем)
group-bad-link = Эта ссылка t.me ведёт на группу, но после имени группы стоит не номер темы или сообщения. Ссылка на тему выглядит так: t.me/имягруппы/123 (или t.me/c/1234567890/123 для закрытой группы); ссылка на саму группу — t.me/имягруппы.
group-added-topic = ✅ { $group } добавлена: посты пойдут в её тему «{ $topic }».
group-media-bans = ⚠️ Права группы запрещают участникам отправлять { $what }, поэтому пост с ними туда не пройдёт. Выберите, что отправлять туда вместо него, кнопкой 🖼 на экране «Группы».
topic-pick = 🧵 <b>{ $group }</b> — форум: выберите тему, в которую пойдут посты. «General» — основной чат группы; темы с 🔒 закрыты (писать в них могут только админы).
topic-general = General
button-topic-general = { $topic } (основной чат)
topic-picked = ✅ { $group }: посты пойдут в тему «{ $topic }».
topic-closed = 🔒 Тема «{ $topic }» закрыта: писать в неё могут только админы группы. Выберите другую тему.
topic-missing = В { $group } нет темы { $id } (возможно, её удалили). Пришлите ссылку на саму группу и выберите тему из списка.
button-topic = 🧵 Тема
button-media = 🖼 Медиа
media-what-media = медиа
media-what-photos = фото
media-what-videos = видео
media-what-documents = файлы
media-what-gifs = GIF
health-media-refused = ⚠️ не принимает { $what }: ваш пост туда не пройдёт (🖼 — выбрать)
health-album-slow-mode = 🐢 медленный режим: альбом туда не пройдёт (🖼 — выбрать)
media-choice-why-slow = В группе медленный режим, а в нём Telegram не принимает альбомы от участников.
media-choice-post = посты с медиа уходят как есть
media-choice-caption_as_text = 📝 посты с медиа: только подпись, текстом
media-choice-first_item = 🖼 альбомы: первый элемент с подписью
media-choice-skip = ⏭ пропускается для постов с медиа
media-choice-title = 🖼 <b>{ $group }</b>: что отправлять туда, когда в посте есть медиа?
media-choice-why-bans = Права группы запрещают участникам отправлять { $what }.
media-choice-why-refused = Telegram отклонил ваш пост там: { $reason }.
media-choice-explain = Подпись текстом уходит в обычное для группы время, одним сообщением. Пропущенная группа считается пропущенной, а не ошибкой. Текстовый пост уходит везде как есть. Выбор снимает паузу с группы, если Telegram приостановил её из-за отклонённого медиа.
media-choice-explain-first = Только первый элемент альбома подходит группе с медленным режимом, которая не принимает альбомы.
button-media-post = 📤 Отправлять медиа как есть
button-media-caption_as_text = 📝 Отправлять подпись текстом
button-media-first_item = 🖼 Альбомы: только первый элемент
button-media-skip = ⏭ Пропускать группу для постов с медиа
media-choice-saved = ✅ { $group }: { $choice }.
notice-media-choose = Выберите, что отправлять туда, когда в посте есть медиа: подпись текстом, первый элемент альбома или пропускать группу.
button-media-choose = 🖼 Выбрать
notice-topic-choose = Выберите другую тему кнопкой 🧵: группа продолжит работу в ней.
reason-media_skipped = пропущено для постов с медиа (ваш выбор)

## Plan limits
limit-accounts = ❌ Тариф { $plan } допускает аккаунтов: { $max }, у вас: { $have }. Удалите один или перейдите на тариф побольше на экране «Тариф».
limit-groups = ❌ Тариф { $plan } допускает групп: { $max }, у вас: { $have }. Удалите одну или перейдите на тариф побольше на экране «Тариф».
limit-accounts-no-plan = ❌ Можно добавить не больше { $max } аккаунтов, у вас: { $have }.
limit-groups-no-plan = ❌ Можно добавить не больше { $max } групп, у вас: { $have }.
start-over-limit-accounts = ❌ Запуск невозможен: тариф { $plan } допускает активных аккаунтов: { $max }, у вас: { $have }. Приостановите или удалите лишние в разделе «Аккаунты» или перейдите на тариф побольше на экране «Тариф».
start-over-limit-groups = ❌ Запуск невозможен: тариф { $plan } допускает активных групп: { $max }, у вас: { $have }. Приостановите или удалите лишние в разделе «Группы» или перейдите на тариф побольше на экране «Тариф».
plan-limits = Пределы: аккаунтов — { $accounts }, групп — { $groups }.
plan-offer = • { $plan }: до { $accounts } аккаунтов и { $groups } групп — { $stars } ⭐ за { $days } дн.
plan-switch-note = Продление добавляет дни к вашему тарифу. Покупка другого тарифа заменяет ваш с момента оплаты.
button-buy = ⭐ Купить { $plan } — { $stars } звёзд
button-renew = ⭐ Продлить { $plan } — { $stars } звёзд
invoice-title = Тариф { $plan }, { $days } дн.
invoice-description = Автопостер { $plan }: до { $accounts } аккаунтов и { $groups } групп на { $days } дн.
invoice-label = { $plan }, { $days } дн.
checkout-invalid = Этот счёт больше не действует. Откройте экран «Тариф» и оформите покупку заново.
checkout-stale = Цена или срок тарифа изменились после выставления счёта. Откройте экран «Тариф» и оформите покупку заново.
payment-granted = ✅ Спасибо, оплата прошла. Ваш тариф: { $plan }
payment-unmatched = ⚠️ Оплата получена, но не соответствует ни одному тарифу. Администраторы уже знают и разберутся.
admin-payment-unmatched = ⚠️ Платёж { $charge } ({ $stars } звёзд) от пользователя { $id } не соответствует тарифу (payload счёта: { $payload }).
payment-unapproved = ⚠️ Оплата получена, но бот не подтверждал этот платёж при оформлении, поэтому тариф пока не выдан. Администраторы уже знают и разберутся.
admin-payment-unapproved = ⚠️ Платёж { $charge } ({ $stars } звёзд) от пользователя { $id } не был подтверждён при оформлении (или подтверждение уже использовано или устарело); ничего не выдано (payload счёта: { $payload }).
plan-granted = 🎁 Ваш тариф теперь: { $plan }
plan-expiry-reminder = ⏰ Ваш тариф скоро закончится: { $plan }. Продлите его на экране «Тариф», чтобы публикации не остановились.

## Admin
cmd-setplan = Админ: выдать тариф
cmd-users = Админ: клиенты
cmd-user = Админ: один клиент
cmd-stats = Админ: статистика
cmd-broadcast = Админ: рассылка всем клиентам
cmd-broadcast_cancel = Админ: остановить рассылку
admin-setplan-usage = Формат: /setplan &lt;id пользователя&gt; &lt;STARTER|ENTERPRISE&gt; [дни]. Без дней тариф бессрочный.
admin-bad-user-id = «{ $value }» — не id пользователя Telegram (нужно целое положительное число).
admin-unknown-plan = Тарифа «{ $value }» нет: есть STARTER и ENTERPRISE.
admin-bad-days = Дни — целое число от 1 до { $max }; «{ $value }» не подходит.
admin-no-such-user = Пользователь { $id } не запускал этого бота.
admin-plan-set = ✅ Пользователь { $id }: { $plan }
admin-users-usage = Формат: /users (страницы листаются кнопками).
admin-users-title = <b>Клиенты</b>: { $count } (страница { $page } из { $pages })
admin-users-empty = Клиентов пока нет.
admin-users-line = <code>{ $id }</code> · { $plan } · { $state } · акк.: { $accounts } · групп: { $groups }
admin-state-running = ▶️ работает
admin-state-stopped = ⏸ остановлен
admin-user-usage = Формат: /user &lt;id пользователя&gt;
admin-user-title = <b>Клиент</b> <code>{ $id }</code> ({ $lang })
admin-user-accounts = <b>Аккаунты</b> ({ $count }):
admin-user-groups = <b>Группы</b> ({ $count }):
admin-stats = <b>Парк</b>
    Клиентов: { $customers }, работают: { $running } (в этом движке: { $here })
    Аккаунты: { $accounts }
    Публикаций за 24 ч: { $posts }
    Платежей: { $payments }, { $stars } ⭐
broadcast-usage = Ответьте командой /broadcast на сообщение, которое нужно разослать всем клиентам, или напишите /broadcast и текст.
broadcast-busy = Рассылка №{ $id } ещё идёт: /broadcast_cancel остановит её.
broadcast-confirm = 📣 Отправить рассылку №{ $id } клиентам: { $count } (администраторы не входят)?
button-broadcast-send = ✅ Отправить ({ $count })
broadcast-started = 📣 Рассылка №{ $id } началась, получателей: { $count }. Ход рассылки — ниже.
broadcast-abandoned = Рассылка отменена, ничего не отправлено.
broadcast-none = Сейчас рассылки нет.
broadcast-cancelling = ⏹ Останавливаю рассылку №{ $id }. Кто успел получить — получил, остальным не придёт.
broadcast-progress = 📣 Рассылка №{ $id }: отправлено { $sent }, заблокировали бота { $blocked }, ошибок { $failed }{ $unknown ->
    [0] {""}
   *[other] , неизвестно { $unknown } (отправку прервал перезапуск)
}, осталось { $left } из { $total } — ещё около { $secs } с.
broadcast-paused = 📣 Рассылка №{ $id } приостановлена (бот останавливается): отправлено { $sent }, заблокировали бота { $blocked }, ошибок { $failed }{ $unknown ->
    [0] {""}
   *[other] , неизвестно { $unknown } (отправку прервал перезапуск)
}, осталось { $left } из { $total }. Она продолжится после запуска бота.
broadcast-done = ✅ Рассылка №{ $id } завершена: отправлено { $sent }, заблокировали бота { $blocked }, ошибок { $failed }{ $unknown ->
    [0] {""}
   *[other] , неизвестно { $unknown } (отправку прервал перезапуск)
}, всего { $total }.
broadcast-cancelled = ⏹ Рассылка №{ $id } отменена: отправлено { $sent }, заблокировали бота { $blocked }, ошибок { $failed }{ $unknown ->
    [0] {""}
   *[other] , неизвестно { $unknown } (отправку прервал перезапуск)
}; не отправлено { $left }.
payment-unrecorded = ⚠️ Оплата прошла, но записать её сейчас не удалось. Администраторы уже знают и применят её — вы ничего не теряете.
admin-payment-unrecorded = ⚠️ Платёж { $charge } ({ $stars } звёзд) от пользователя { $id } не удалось записать (ошибка базы данных). Payload счёта: { $payload }. Выдайте тариф через /setplan.
checkout-nothing-to-renew = Ваш тариф бессрочный: продлевать нечего.
group-chat-private-only = Я работаю только в личном чате, чтобы ваши публикации, аккаунты и тариф оставались между нами: откройте @{ $bot } и отправьте там /start.

## Медиа
message-screen-media = <b>Ваше сообщение</b> (его будут публиковать аккаунты): { $what }.
    { $caption }

    Чтобы заменить его, пришлите мне новый пост обычным сообщением: текст длиной 1–{ $max } символов, фото, видео, GIF или файл с подписью либо альбом из 2–10 фото и видео.
media-caption = Подпись:

    { $caption }
media-no-caption = Без подписи.
media-caption-long = Подпись: { $len } симв., слишком длинная, чтобы показать её в этом меню. «Показать пост» пришлёт пост точно в том виде, в каком его опубликуют аккаунты.
media-caption-premium = ⭐ В подписи { $len } симв.: больше { $max } могут публиковать только аккаунты с Telegram Premium.
media-one = { $kind } ({ $size })
media-album = альбом из { $count ->
    [one] { $count } файла
   *[other] { $count } файлов
} ({ $size } всего)
media-kind-photo = фото
media-kind-video = видео
media-kind-animation = GIF
media-kind-document = файл
media-saved = ✅ Сохранено: { $what }. Выше — пост точно в том виде, в каком его увидят группы.
media-album-saved = ✅ Альбом из { $count ->
    [one] { $count } файла
   *[other] { $count } файлов
} сохранён ({ $size } всего). Выше — пост точно в том виде, в каком его увидят группы.
message-unsupported = { $what } аккаунты опубликовать не могут. Пришлите текст, фото, видео, GIF или файл с подписью либо альбом из 2–10 фото и видео.
unsupported-sticker = Стикер
unsupported-poll = Опрос
unsupported-voice = Голосовое сообщение
unsupported-video_note = Видеосообщение (кружок)
unsupported-audio = Аудиофайл (музыку)
unsupported-location = Геопозицию
unsupported-venue = Место на карте
unsupported-contact = Контакт
unsupported-game = Игру
unsupported-dice = Кубик
unsupported-paid_media = Платные медиа
unsupported-story = Историю
unsupported-checklist = Список задач
unsupported-invoice = Счёт
unsupported-other = Такое сообщение
media-too-big = Размер файла — { $size }; бот может скачать из Telegram не больше { $max } (ограничение Bot API), поэтому принять его я не могу. Пришлите файл поменьше.
media-download-failed = Telegram сейчас не отдал мне файл. Пришлите его ещё раз, пожалуйста.
caption-needs-premium = В подписи { $len } симв. Telegram допускает в подписи { $max } символов ({ $premium } для аккаунтов с Telegram Premium), а у этих ваших аккаунтов Premium нет: { $accounts }. Сократите подпись до { $max } символов или приостановите эти аккаунты.
album-several-captions = Подпись есть у нескольких файлов альбома, а у поста она одна. Оставьте подпись только у одного файла и пришлите альбом снова.
reason-content-no_media = В альбоме нет файлов. Пришлите 2–{ $max } фото и видео или 2–{ $max } файлов.
reason-content-too_many_items = В альбоме { $count } шт.; Telegram допускает не больше { $max }.
reason-content-documents_mixed = В одном альбоме нельзя смешивать файлы с фото и видео: пришлите вместе фото и видео или вместе файлы.
reason-content-animation_in_album = GIF не может входить в альбом: пришлите его отдельно.
reason-content-caption_too_long = В подписи { $len } симв.; Telegram допускает не больше { $max }, даже с Premium. Сократите её и пришлите пост снова.
reason-content-empty_file = Файл пустой.
reason-content-bad_source = Это не чат, который могут читать ваши аккаунты: укажите его @username или id.
reason-content-bad_message = Сообщение { $id } не может быть источником.
account-caption-needs-premium = ⚠️ В подписи вашего поста { $len } симв., а у этого аккаунта нет Telegram Premium: подпись длиннее { $max } символов он опубликовать не сможет. Сократите подпись в разделе «Сообщение» или приостановите этот аккаунт.
size-bytes = { $n } Б
size-kb = { $n } КБ
size-mb = { $n } МБ
