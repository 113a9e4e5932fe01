# The control bot, in English. Texts are Telegram HTML: keep <b>, <i> and escape & < > in prose.

## Commands (set_my_commands)
cmd-start = Start posting, or show the menu
cmd-stop = Stop posting now
cmd-status = What is happening
cmd-menu = The main menu
cmd-help = How this bot works
cmd-language = Change the language

welcome = 👋 Welcome to <b>autoposter</b>. It posts your announcement into the Telegram groups you belong to, from your own accounts, on an exact schedule. Set up the message, groups, accounts and timing below, then press Start.
help = <b>autoposter</b> posts your message into your groups from your accounts, on a schedule.
    /menu — the main menu: Message, Groups, Accounts, Timing, Schedule preview, Start/Stop, Status, Plan, Language
    /start — start posting (or show the menu)
    /stop — stop posting at once
    /status — running or not, the current cycle, the last cycle's report
    /language — English or Russian
    /cancel — abandon the question being asked
unknown-command = I don't know that command. /help lists what I can do.
use-the-menu = Use the buttons below, or /help.
text-expected = Please answer with text, or press Cancel.
cancelled = Cancelled. Nothing was changed.
cancel-nothing = Nothing to cancel: no question was open, and what you sent before stays saved.
menu-out-of-date = This menu is out of date. Open /menu for a fresh one.
error-unexpected = Something went wrong: { $reason }. Please try again.
error-unexpected-short = Something went wrong on our side. Nothing was changed; please try again in a minute.

## Main menu
main-menu = <b>autoposter</b>
    Plan: { $plan }
    Posting: { $state }
state-running = ▶️ running
state-stopped = ⏸ stopped
button-message = ✉️ Message
button-groups = 👥 Groups
button-accounts = 👤 Accounts
button-timing = ⏱ Timing
button-preview = 🗓 Schedule preview
button-start = ▶️ Start
button-stop = ⏹ Stop
button-status = 📊 Status
button-plan = 💳 Plan
button-language = 🌐 Language
button-back = « Back
button-cancel = ✖️ Cancel
button-refresh = 🔄 Refresh
button-pause = ⏸
button-resume = ▶️
button-remove = 🗑 Remove
button-confirm-remove = 🗑 Yes, remove
button-add-group = ➕ Add a group
button-add-account = ➕ Add an account

## Plans
plan-starter = STARTER
plan-enterprise = ENTERPRISE
plan-none = none yet
plan-line = { $plan }, until { $date }
plan-line-forever = { $plan }, no expiry
plan-line-expired = { $plan }, expired on { $date }
plan-starter-explained = STARTER runs in starter mode: your accounts take turns, evenly spread over the cycle length.
plan-enterprise-explained = ENTERPRISE runs in enterprise mode: all your accounts post at the same time.
plan-title = <b>Plan</b>: { $plan }
plan-how-to-get = You have no plan yet: buy one below with Telegram Stars, or ask an admin.
plan-starter-only = STARTER plan requires starter execution mode. Cannot use enterprise mode with STARTER plan.
plan-enterprise-only = ENTERPRISE plan requires enterprise execution mode. Cannot use starter mode with ENTERPRISE plan.
mode-is-plan-mode = This is your plan's mode.
mode-no-plan = Modes come with plans: STARTER posts in starter mode, ENTERPRISE in enterprise mode. You have no plan yet: buy one on the Plan screen, or ask an admin.

## Message
message-screen = <b>Your message</b> (what the accounts will post):

    { $message }

    To replace it, send me the new post as an ordinary message; formatting (bold, links, …) is kept. A text of 1–{ $max } characters, a photo, video, GIF or file with a caption, or an album of 2–10 photos and videos.
message-screen-empty = <b>Your message</b>: not set yet.
    Send me the post as an ordinary message; formatting (bold, links, …) is kept. A text of 1–{ $max } characters, a photo, video, GIF or file with a caption, or an album of 2–10 photos and videos.
message-saved = ✅ Message saved.
message-empty = The message is empty. Send text of 1–{ $max } characters.
message-too-long = The message is { $len } characters long; Telegram allows at most { $max }. Shorten it and send it again.
message-media = This kind of message can't be posted. Send a text (1–{ $max } characters), a photo, video, GIF or file with a caption, or an album of 2–10 photos and videos.

## Groups
groups-title = <b>Groups</b> ({ $count }), posted to in this order:
groups-empty = No groups yet.
group-ask = Send the group: @username, a t.me link or its numeric id. Your accounts must already be members and allowed to write there.
group-added = ✅ { $group } added.
group-duplicate = { $group } is already in your list.
group-bad-reference = That is not a group reference. Send @username (5–32 letters, digits or _), a t.me/username link or a numeric id such as -1001234567890.
group-private-invite = Invite links are not accepted: autoposter never joins groups. Add your account to the group yourself, then send the group's numeric id.
group-remove-confirm = Remove { $name } from your groups?
group-removed = 🗑 Group removed.
group-removed-name = (removed group)
groups-limit = You have reached the limit of { $max } groups.

## Accounts
accounts-title = <b>Accounts</b> ({ $count }):
accounts-empty = No accounts yet.
account-ask-phone = Send the account's phone number in international form, e.g. +44 7700 900123. A login code will be sent to that account's Telegram app.
account-bad-phone = That is not a phone number. Send it in international form: + and 7–15 digits, e.g. +44 7700 900123.
account-duplicate = { $phone } is already one of your accounts.
account-added = ✅ Account { $account } added.
account-remove-confirm = Remove the account { $name }? It will stop posting.
account-removed = 🗑 Account removed.
account-quarantined-cannot-resume = Telegram stopped this account. Remove it and add it again after fixing it.
accounts-limit = You have reached the limit of { $max } accounts.
n-accounts = { $count ->
    [one] { $count } account
   *[other] { $count } accounts
}
health-ok = ✅ ok
health-paused = ⏸ paused
health-waiting = ⏳ waiting until { $time } (Telegram's flood wait)
health-quarantined = ⛔ quarantined ({ $reason })

## Login
login-unavailable = Adding accounts is not available on this server yet.
login-in-progress = A login is already in progress. Finish it or press Cancel first.
login-keypad = Login code for { $phone }: <b>{ $code }</b>
    Telegram sent the code to that account's app. Type it with the buttons below — never paste it into a chat: Telegram then voids it.
login-use-keypad = Please type the code with the keypad buttons, not as a message: Telegram voids codes sent in chats.
login-code-empty = Type the code first.
login-not-test-number = This server runs simulated accounts: use a Telegram test number 99966XYYYY (X is a digit from 1 to 9); its code is X five times.
login-phone-invalid = Telegram does not know this phone number.
login-invalid-code = ❌ Wrong code. Type it again.
login-code-expired = The code expired. Add the account again to get a new one.
login-flood-wait = Telegram asks to wait { $secs } s before the next login attempt.
login-telegram-unavailable = Telegram could not be reached. Try again in a minute.

## Timing
timing-title = <b>Timing</b>
timing-mode = Mode: { $plan } (set by your plan)
timing-mode-none = Mode: set by your plan (none yet)
timing-delay-posts = Delay between posts: { $secs } s
timing-delay-cycles = Delay between cycles: { $secs } s
timing-cycle-minutes = Cycle length: { $minutes } min
timing-cycle-minutes-unset = Cycle length: not set
floor-warning = ⚠️ Delay between posts ({ $requested } s) is below the minimum ({ $applied } s); { $applied } s is used.
button-delay-posts = Delay between posts
button-delay-cycles = Delay between cycles
button-cycle-minutes = Cycle length
button-mode-starter = Starter mode
button-mode-enterprise = Enterprise mode
field-delay-posts = delay between posts
field-delay-cycles = delay between cycles
field-cycle-minutes = cycle length
unit-seconds = seconds
unit-minutes = minutes
timing-ask = Send the { $field } in { $unit } (a number up to { $max }; 2.5 and 2,5 both work).
timing-saved = ✅ Saved. It applies from the next cycle.
timing-not-a-number = That is not a number.
timing-not-a-number-range = That is not a number. Send the { $field } in { $unit }, from { $min } to { $max }.
timing-not-positive = The { $field } must be at least { $min } { $unit }.
timing-negative = The { $field } must not be negative.
timing-too-large = The { $field } may be at most { $max } { $unit }.
feasibility-no-plan = Feasibility: shown once you have a plan.
feasibility-need-counts = Feasibility: add at least one active account and one group to check it.
feasible-starter = ✅ Feasible: each account posts for { $runtime } s; the { $accounts } accounts start { $offset } s apart.
feasible-starter-one = ✅ Feasible: the account posts for { $runtime } s in each cycle. With one account the cycle length spaces nothing: each cycle starts { $pause } s after the previous one ends.
feasible-enterprise = { $accounts ->
    [one] ✅ Feasible: the account posts for { $runtime } s per cycle.
   *[other] ✅ Feasible: all { $accounts } accounts post together; each session takes { $runtime } s.
}
infeasible = Starter mode infeasible: session runtime ({ $runtime }s) must be less than per-session offset ({ $offset }s). Increase total_cycle_minutes or reduce groups/delay.

## Schedule preview
preview-title-if-started = <b>The first cycle if you start now</b> ({ $plan }, from { $time }):
preview-title-next = <b>Next cycle</b> ({ $plan }, starts { $time }):
preview-title-after-current = <b>Next cycle</b> ({ $plan }), after the current one ends; times from its start:
preview-session = { $account }: starts { $start }, ends { $end }
preview-overlap =    ⚠️ overlaps { $next } by { $secs } s
preview-next-cycle = Then { $secs } s pause, and the next cycle starts.

## Start / stop
started = ✅ Started. First post at { $time }.
start-already-running = Already running. /stop stops it.
start-no-plan = ❌ Cannot start: you have no plan. Buy one on the Plan screen, or ask an admin.
start-plan-expired = ❌ Cannot start: your plan expired on { $date }. Renew it on the Plan screen.
start-no-message = ❌ Cannot start: there is no message. Open Message and send your post.
start-no-settings = ❌ Cannot start: the timing is not set. Open Timing.
start-no-accounts = ❌ Cannot start: no healthy account. Add an account, or resume a paused one, under Accounts.
start-no-groups = ❌ Cannot start: no active group. Add one under Groups.
start-no-cycle-length = ❌ Cannot start: STARTER needs a cycle length. Set it under Timing.
start-unknown-argument = /start takes no argument, or the mode of your plan: starter or enterprise.
stopped = ⏹ Stopped. No more posts will be sent.
stop-not-running = Not running; nothing to stop.

## Status
status-running = <b>Status</b>: ▶️ running
status-stopped = <b>Status</b>: ⏸ stopped
status-cycle = Cycle { $seq } in progress
status-next-cycle = Cycle { $seq } starts at { $time }
status-next-post = Next post: { $time }
status-no-cycle = No cycle has finished yet.
status-last-cycle = Last cycle ({ $seq }): { $sent } posted, { $failed } failed, { $skipped } skipped
status-last-cycle-stopped = Last cycle ({ $seq }) was stopped before it finished: { $sent } posted, { $failed } failed, { $skipped } skipped, { $unposted } not posted
status-group-unposted = , { $count } not posted
status-group-line = • { $group }: { $sent } posted, { $failed } failed, { $skipped } skipped
status-group-reason = ; last problem: { $reason }
status-accounts = <b>Accounts</b>: { $ok } of { $count } ok
status-groups = <b>Groups</b>: { $ok } of { $count } active

## Language
language-choose = Choose your language:
language-set = ✅ Language: English.
language-unknown = I speak English (en) and Russian (ru).
stopped-by-engine = ⏹ Posting stopped: the next cycle could not run.
    { $reason }
stopped-plan-expired = ⏹ Posting stopped: your plan expired on { $date }. Renew it on the Plan screen, then press Start.
cmd-cancel = Abandon the current question
message-screen-long = <b>Your message</b>: { $len } characters, too long to show inside this menu. "Show the post" sends it exactly as the accounts will post it.
    To replace it, send me the new post as an ordinary message; formatting is kept: a text, a photo, video, GIF or file with a caption, or an album.
button-show-post = 👁 Show the post
silent-on = 🔕 <b>Silent posts</b>: on — group members get no notification sound for your posts.
silent-off = 🔔 <b>Silent posts</b>: off — group members hear the usual notification sound for your posts.
button-silent-on = 🔕 Silent posts: turn on
button-silent-off = 🔔 Silent posts: turn off
list-more = …and { $count } more
health-paused-why = ⏸ paused ({ $reason })
reason-customer = by you
reason-flood_wait = Telegram's flood wait
reason-slow_mode = the group's slow mode
reason-write_forbidden = the account may not write there
reason-banned = the account is banned there
reason-channel_private = the account is no longer a member
reason-account_revoked = the account's session was revoked
reason-account_deactivated = the account was deleted or banned by Telegram
reason-peer_flood = Telegram limits this account (PEER_FLOOD)
reason-network_error = a network error
reason-media_forbidden = the group takes no media from the account
reason-photos_forbidden = the group takes no photos from the account
reason-videos_forbidden = the group takes no videos from the account
reason-documents_forbidden = the group takes no files from the account
reason-gifs_forbidden = the group takes no GIFs from the account
reason-payment_required = the group charges Stars for every message (never paid)
reason-payment_required-stars = the group asks { $stars } ⭐ per message; autoposter never pays it
reason-topic_closed = the group's topic is closed
reason-topic_deleted = the group's topic was deleted
reason-albums_refused = the group's slow mode refuses albums
reason-file_reference_expired = the media had to be uploaded again
message-screen-forward = <b>Your message</b>: { $count ->
    [one] a message
   *[other] { $count } messages
    } from { $chat }, <b>forwarded</b> — the groups see "Forwarded from", the original exactly.
    To replace it, send me a new post, or forward another message from your channel.
message-screen-copy = <b>Your message</b>: { $count ->
    [one] a message
   *[other] { $count } messages
    } from { $chat }, <b>copied</b> — posted as your accounts' own message, without "Forwarded from".
    To replace it, send me a new post, or forward another message from your channel.
account-cannot-read-source = ⚠️ This account can't pass on your post from { $chat }: { $reason }. Its posts will fail until it can (e.g. once it joins { $chat }).
forward-question = This message is from <b>{ $chat }</b>. How should your accounts post it?
    ↪️ <b>Forward</b>: the groups see "Forwarded from { $chat }", the original exactly.
    📋 <b>Copy</b>: posted as the account's own message.
    Every account must be able to read { $chat }; I'll check that now.
forward-question-link = That's a link to a message in <b>{ $chat }</b>. Should your accounts post that message?
    ↪️ <b>Forward</b>: the groups see "Forwarded from", the original exactly.
    📋 <b>Copy</b>: posted as the account's own message.
    🔗 Or post the link itself as your text.
    Every account must be able to read { $chat }; I'll check that now.
button-link-as-text = 🔗 Post the link as text
forward-not-shown = I'm not in that chat, so I can't show the message here; your accounts read it and will pass it on.
button-saved-messages = 📥 From Saved Messages
saved-picker = Pick the post from the Saved Messages of <b>{ $account }</b> (the newest first). Then choose whether your account forwards or copies it.
saved-title = Saved Messages
saved-media = 🖼 (media, no text)
saved-one-account = Saved Messages are each account's own: a post can come from them only while you have one active account. With several, post from your channel (forward a message from it to me).
saved-empty = The account's Saved Messages are empty: save the post there first.
forward-question-saved = This message is from the Saved Messages of your account. How should the account post it?
    ↪️ <b>Forward</b>: the groups see "Forwarded from" with the message's original sender.
    📋 <b>Copy</b>: posted as the account's own message.
account-saved-not-posting = ⚠️ This account won't post your current post: it comes from the Saved Messages of another account, which only that account can pass on. To post from every account, post from your channel (forward a message from it to me).
forward-show-hint = "Show the post" shows it as the groups will see it.
button-forward = ↪️ Forward
button-copy = 📋 Copy
forward-needs-account = Add an account first: a post from a channel is checked through your accounts (each must be able to read the channel).
forward-check-failed = The message from <b>{ $chat }</b> can't be posted by every account:
    { $problems }
    Nothing was changed. Fix it (e.g. join the channel with that account) and press a button again, or send another post.
forward-invalid = I can't take a post from that channel. Send the post as an ordinary message instead.
forward-saved = ✅ Saved: your accounts will forward the message from { $chat }.
copy-saved = ✅ Saved: your accounts will post a copy of the message from { $chat }.
reason-source-not_found = no such chat, or the account can't see it
reason-source-not_readable = the account is not a member of that chat and can't read it
reason-source-message_gone = message { $id } is not there any more (deleted?)
reason-source-protected = the chat protects its content: Telegram lets nobody forward or copy from it
reason-source-account_unavailable = the account can't be used right now (log it in again?)
reason-source-flood_wait = Telegram asks the account to wait { $secs } s
reason-source-unavailable = Telegram could not be reached; try again in a minute
reason-rejected = Telegram refused the post itself (its content or form)
reason-account_unavailable = the account couldn't be used (its session)
reason-unknown = unknown
start-invalid-settings = ❌ Cannot start: a timing value is out of range. Open Timing and set it again.
field-delay-posts-nom = Delay between posts
field-delay-cycles-nom = Delay between cycles
field-cycle-minutes-nom = Cycle length
unit-s = s
unit-min = min
status-groups-fine = { $count ->
    [one] • the other group: everything posted
   *[other] • the other { $count } groups: everything posted
}
status-groups-all-fine = { $count ->
    [one] • the group: everything posted
   *[other] • all { $count } groups: everything posted
}
notice-quarantined = ⛔ Telegram stopped the account { $account }: { $reason }. It posts no more. Remove it and add it again once it is fixed.
notice-group-refused = ⏸ { $group } refused the account { $account }: { $reason }. The group is paused for that account; once it is fixed, press ▶ on the group under Groups.
health-refused-for = ⏸ paused for { $account } ({ $reason })
health-slow-mode-for = ⏳ slow mode for { $account } until { $time }
reason-group_paused = the group is paused for this account
login-password-ask = 🔐 { $phone } has two-step verification. Send its password; the message is deleted at once.
login-password-ask-hint = 🔐 { $phone } has two-step verification. Send its password (hint: { $hint }); the message is deleted at once.
login-invalid-password = ❌ Wrong password. Send it again, or press Cancel.
login-invalid-password-hint = ❌ Wrong password (hint: { $hint }). Send it again, or press Cancel.
login-phone-banned = Telegram has banned this phone number; it cannot be added.
login-none = This login is no longer in progress. Add the account again.
button-import-session = 📥 Import a session
import-ask = Send the account's Telethon or Pyrogram session string. The message is deleted at once; the session is checked with Telegram before it is stored, encrypted.
import-unrecognised = That is not a Telethon or Pyrogram session string. Send the string exactly as the library printed it, or press Cancel.
import-bot = That session belongs to a bot; only user accounts can post here.
import-test-servers = That session is for Telegram's test servers; it cannot post to real groups.
import-unavailable = This server runs simulated accounts: session strings cannot be imported; log in with a test number instead.
import-not-authorized = Telegram says this session is not logged in (any more). Log the account in with its phone number instead.
login-too-many = Too many logins are in progress on this server right now. Try again in a few minutes.
login-too-many-codes = Too many login codes were asked for (for this number, or from your chat). Try again in { $minutes } min.
login-telegram-unreadable = Telegram answered something this server could not read. It was logged; try again later.
login-key-refused = Telegram refused the connection's key. If this was a session string, the session no longer works: log the account in with its phone number instead.
login-key-exchange = A secure connection to Telegram could not be set up (the key exchange failed). It was logged; try again later.
login-telegram-unexpected = Telegram answered with an error this step does not expect: { $name }. It was logged; try again later.
login-internal = Something went wrong on this server during the login. It was logged; try again later.
import-other-user = This session string belongs to user id { $string_user }, but Telegram says the session is user { $telegram_user }: the string is damaged or was edited. Copy it again from the program that made it.
button-pick-groups = 📋 Pick from my groups
pick-groups-title = Your account's groups not yet in your list; tap one to add it:
pick-groups-none = Your account has no other group it can write in.
group-needs-account = Add an account first: every group is checked through your accounts (they must be members and allowed to write).
group-check-failed = { $group } can't be added:
    { $problems }
    Your accounts must already be members and allowed to write there.
group-slow-mode = Slow mode there: one post every { $secs } s per account.
group-problem-not-found = no such group
group-problem-not-a-group = not a group or channel
group-problem-not-member = not a member
group-problem-cannot-write = may not write there
group-problem-account = the account can't be used right now
group-problem-not-a-forum = the group is not a forum (it has no topics)
group-bad-link = That t.me link names a group, but what follows the group's name is not a topic or message number. A topic's link looks like t.me/groupname/123 (or t.me/c/1234567890/123 for a private group); a group's own link is t.me/groupname.
group-added-topic = ✅ { $group } added: posts go into its topic “{ $topic }”.
group-media-bans = ⚠️ Its rights forbid members to send { $what }, so a post with them can't go there. Choose what goes there instead with 🖼 on the Groups screen.
topic-pick = 🧵 <b>{ $group }</b> is a forum: pick the topic your posts go into. General is the group's main chat; 🔒 topics are closed (only admins post there).
topic-general = General
button-topic-general = { $topic } (main chat)
topic-picked = ✅ { $group }: posts go into the topic “{ $topic }”.
topic-closed = 🔒 The topic “{ $topic }” is closed: only the group's admins post there. Pick another topic.
topic-missing = { $group } has no topic { $id } (it may have been deleted). Send the group's own link and pick the topic from its list.
button-topic = 🧵 Topic
button-media = 🖼 Media
media-what-media = media
media-what-photos = photos
media-what-videos = videos
media-what-documents = files
media-what-gifs = GIFs
health-media-refused = ⚠️ takes no { $what }: your post won't go there (🖼 to choose)
health-album-slow-mode = 🐢 slow mode: an album can't go there (🖼 to choose)
media-choice-why-slow = It is in slow mode, where Telegram takes no album from members.
media-choice-post = media posts go as they are
media-choice-caption_as_text = 📝 media posts: the caption alone, as a text
media-choice-first_item = 🖼 albums: the first item with the caption
media-choice-skip = ⏭ skipped for media posts
media-choice-title = 🖼 <b>{ $group }</b>: what goes there when your post has media?
media-choice-why-bans = Its rights forbid members to send { $what }.
media-choice-why-refused = Telegram refused your post there: { $reason }.
media-choice-explain = The caption as text goes out at the group's usual time, as one message. A skipped group counts as skipped, not failed. A text post goes everywhere as it is. Choosing resumes the group if Telegram paused it for refusing your media.
media-choice-explain-first = An album's first item alone suits a slow-mode group that takes no album.
button-media-post = 📤 Post media as they are
button-media-caption_as_text = 📝 Post the caption as text
button-media-first_item = 🖼 Albums: first item only
button-media-skip = ⏭ Skip this group for media posts
media-choice-saved = ✅ { $group }: { $choice }.
notice-media-choose = Choose what goes there when your post has media: the caption as text, an album's first item, or skip the group.
button-media-choose = 🖼 Choose
notice-topic-choose = Pick another topic with 🧵: the group resumes in it.
reason-media_skipped = skipped for media posts (your choice)

## Plan limits
limit-accounts = ❌ Your { $plan } plan allows { $max } accounts, and you have { $have }. Remove one, or move to a larger plan on the Plan screen.
limit-groups = ❌ Your { $plan } plan allows { $max } groups, and you have { $have }. Remove one, or move to a larger plan on the Plan screen.
limit-accounts-no-plan = ❌ At most { $max } accounts can be added, and you have { $have }.
limit-groups-no-plan = ❌ At most { $max } groups can be added, and you have { $have }.
start-over-limit-accounts = ❌ Cannot start: your { $plan } plan allows { $max } active accounts, and you have { $have }. Pause or remove some under Accounts, or move to a larger plan on the Plan screen.
start-over-limit-groups = ❌ Cannot start: your { $plan } plan allows { $max } active groups, and you have { $have }. Pause or remove some under Groups, or move to a larger plan on the Plan screen.
plan-limits = Limits: { $accounts } accounts, { $groups } groups.
plan-offer = • { $plan }: up to { $accounts } accounts and { $groups } groups — { $stars } ⭐ for { $days } days
plan-switch-note = Renewing adds the days to your plan. Buying the other plan replaces yours from the moment of payment.
button-buy = ⭐ Buy { $plan } — { $stars } Stars
button-renew = ⭐ Renew { $plan } — { $stars } Stars
invoice-title = { $plan } plan, { $days } days
invoice-description = Autoposter { $plan }: up to { $accounts } accounts and { $groups } groups, for { $days } days.
invoice-label = { $plan }, { $days } days
checkout-invalid = This invoice is no longer valid. Open the Plan screen and buy again.
checkout-stale = The plan's price or length has changed since this invoice was made. Open the Plan screen and buy again.
payment-granted = ✅ Thank you, the payment went through. Your plan: { $plan }
payment-unmatched = ⚠️ Your payment arrived, but it does not match any plan. The admins have been told and will sort it out.
admin-payment-unmatched = ⚠️ Payment { $charge } ({ $stars } Stars) from user { $id } matches no plan (invoice payload: { $payload }).
payment-unapproved = ⚠️ Your payment arrived, but it does not match a checkout this bot approved, so no plan was granted yet. The admins have been told and will sort it out.
admin-payment-unapproved = ⚠️ Payment { $charge } ({ $stars } Stars) from user { $id } was not approved at pre-checkout (or its approval was used or expired); nothing granted (invoice payload: { $payload }).
plan-granted = 🎁 Your plan is now: { $plan }
plan-expiry-reminder = ⏰ Your plan expires soon: { $plan }. Renew it on the Plan screen to keep posting.

## Admin
cmd-setplan = Admin: grant a plan
cmd-users = Admin: the customers
cmd-user = Admin: one customer
cmd-stats = Admin: fleet statistics
cmd-broadcast = Admin: message every customer
cmd-broadcast_cancel = Admin: stop the broadcast
admin-setplan-usage = Usage: /setplan &lt;user id&gt; &lt;STARTER|ENTERPRISE&gt; [days]. Without days the plan has no expiry.
admin-bad-user-id = “{ $value }” is not a Telegram user id (a positive whole number).
admin-unknown-plan = There is no plan “{ $value }”: the plans are STARTER and ENTERPRISE.
admin-bad-days = Days must be a whole number from 1 to { $max }; “{ $value }” is not.
admin-no-such-user = User { $id } has not started this bot.
admin-plan-set = ✅ User { $id }: { $plan }
admin-users-usage = Usage: /users (the buttons turn the pages).
admin-users-title = <b>Customers</b>: { $count } (page { $page } of { $pages })
admin-users-empty = No customers yet.
admin-users-line = <code>{ $id }</code> · { $plan } · { $state } · { $accounts } acc. · { $groups } groups
admin-state-running = ▶️ running
admin-state-stopped = ⏸ stopped
admin-user-usage = Usage: /user &lt;user id&gt;
admin-user-title = <b>Customer</b> <code>{ $id }</code> ({ $lang })
admin-user-accounts = <b>Accounts</b> ({ $count }):
admin-user-groups = <b>Groups</b> ({ $count }):
admin-stats = <b>Fleet</b>
    Customers: { $customers }, running: { $running } ({ $here } in this engine)
    Accounts: { $accounts }
    Posts in the last 24 h: { $posts }
    Payments: { $payments }, { $stars } ⭐
broadcast-usage = Reply /broadcast to the message to send to every customer, or write /broadcast followed by the text.
broadcast-busy = Broadcast #{ $id } is still being sent: /broadcast_cancel stops it.
broadcast-confirm = 📣 Send broadcast #{ $id } to { $count ->
    [one] { $count } customer
   *[other] { $count } customers
} (admins not included)?
button-broadcast-send = ✅ Send to { $count }
broadcast-started = 📣 Broadcast #{ $id } started: { $count } recipients. Its progress follows.
broadcast-abandoned = Broadcast abandoned; nothing was sent.
broadcast-none = No broadcast is being sent.
broadcast-cancelling = ⏹ Stopping broadcast #{ $id }. Whoever got it, got it; nobody else will.
broadcast-progress = 📣 Broadcast #{ $id }: { $sent } sent, { $blocked } blocked the bot, { $failed } failed{ $unknown ->
    [0] {""}
   *[other] , { $unknown } unknown (a restart cut the send short)
}, { $left } of { $total } left — about { $secs } s to go.
broadcast-paused = 📣 Broadcast #{ $id } paused (the bot is stopping): { $sent } sent, { $blocked } blocked the bot, { $failed } failed{ $unknown ->
    [0] {""}
   *[other] , { $unknown } unknown (a restart cut the send short)
}, { $left } of { $total } left. It resumes when the bot starts again.
broadcast-done = ✅ Broadcast #{ $id } done: { $sent } sent, { $blocked } blocked the bot, { $failed } failed{ $unknown ->
    [0] {""}
   *[other] , { $unknown } unknown (a restart cut the send short)
}, of { $total }.
broadcast-cancelled = ⏹ Broadcast #{ $id } cancelled: { $sent } sent, { $blocked } blocked the bot, { $failed } failed{ $unknown ->
    [0] {""}
   *[other] , { $unknown } unknown (a restart cut the send short)
}; { $left } not sent.
payment-unrecorded = ⚠️ Your payment went through, but I could not record it just now. The admins have been told and will apply it; you lose nothing.
admin-payment-unrecorded = ⚠️ Payment { $charge } ({ $stars } Stars) from user { $id } could not be recorded (database error). Invoice payload: { $payload }. Grant it with /setplan.
checkout-nothing-to-renew = Your plan has no expiry: there is nothing to renew.
group-chat-private-only = I work in a private chat only, so that your posts, accounts and plan stay between us: open @{ $bot } and send /start there.

## Media posts
message-screen-media = <b>Your message</b> (what the accounts will post): { $what }.
    { $caption }

    To replace it, send me the new post as an ordinary message: a text of 1–{ $max } characters, a photo, video, GIF or file with a caption, or an album of 2–10 photos and videos.
media-caption = Caption:

    { $caption }
media-no-caption = No caption.
media-caption-long = Caption: { $len } characters, too long to show inside this menu. "Show the post" sends the post exactly as the accounts will post it.
media-caption-premium = ⭐ The caption has { $len } characters: over { $max }, only accounts with Telegram Premium can post it.
media-one = { $kind } ({ $size })
media-album = an album of { $count ->
    [one] { $count } item
   *[other] { $count } items
} ({ $size } in all)
media-kind-photo = a photo
media-kind-video = a video
media-kind-animation = a GIF
media-kind-document = a file
media-saved = ✅ Saved: { $what }. Above is the post exactly as the groups will see it.
media-album-saved = ✅ Album of { $count ->
    [one] { $count } item
   *[other] { $count } items
} saved ({ $size } in all). Above is the post exactly as the groups will see it.
message-unsupported = { $what } can't be posted by the accounts. Send a text, a photo, video, GIF or file with a caption, or an album of 2–10 photos and videos.
unsupported-sticker = A sticker
unsupported-poll = A poll
unsupported-voice = A voice message
unsupported-video_note = A video message (round video)
unsupported-audio = An audio file sent as music
unsupported-location = A location
unsupported-venue = A venue
unsupported-contact = A contact
unsupported-game = A game
unsupported-dice = A dice
unsupported-paid_media = Paid media
unsupported-story = A story
unsupported-checklist = A checklist
unsupported-invoice = An invoice
unsupported-other = This kind of message
media-too-big = The file is { $size }; a bot can download at most { $max } from Telegram (the Bot API's limit), so I can't take it. Send a smaller file.
media-download-failed = Telegram did not give me the file just now. Send it again, please.
caption-needs-premium = The caption has { $len } characters. Telegram allows { $max } characters in a caption ({ $premium } for accounts with Telegram Premium), and these accounts of yours have no Premium: { $accounts }. Shorten the caption to { $max } characters, or pause those accounts.
album-several-captions = Several items of the album have a caption, but a post has one. Put the caption on one item only and send the album again.
reason-content-no_media = The album has no files. Send 2–{ $max } photos and videos, or 2–{ $max } files.
reason-content-too_many_items = The album has { $count } items; Telegram allows at most { $max }.
reason-content-documents_mixed = An album can't mix files with photos and videos: send photos and videos together, or files together.
reason-content-animation_in_album = A GIF can't be part of an album: send it on its own.
reason-content-caption_too_long = The caption has { $len } characters; Telegram allows at most { $max }, even with Premium. Shorten it and send the post again.
reason-content-empty_file = The file is empty.
reason-content-bad_source = That is not a chat your accounts can read: name it by @username or by its id.
reason-content-bad_message = Message { $id } can't be a source message.
account-caption-needs-premium = ⚠️ Your post's caption has { $len } characters, and this account has no Telegram Premium: it can't post a caption over { $max }. Shorten the caption on the Message screen, or pause this account.
size-bytes = { $n } B
size-kb = { $n } KB
size-mb = { $n } MB
