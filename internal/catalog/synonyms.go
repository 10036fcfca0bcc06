package catalog

import "strings"

// wordGroups are the related words of the common API vocabulary. A query word in a group also
// searches for the other words of that group, at a lower weight (synonymWeight), so that a
// task phrased in everyday words ("get rid of the server") finds the operation named in API
// words ("TerminateInstances", "deleteServer").
//
// Rules for this table, which is reviewed like code:
//   - Every group must be vocabulary that any HTTP API may use: the CRUD verbs, the lifecycle
//     verbs of resources, and the resource nouns that recur across public APIs (users, servers,
//     files, messages, …). No group names one API's operation, and none comes from a test
//     request: a word belongs here only if it would help a search over any API.
//   - A word may be in several groups ("show" lists and gets); it then searches for both.
//   - A phrase ("get rid of") is matched in the query first, and its words are then not read
//     on their own; its last word may come a few words later ("shut the server down").
//     A phrase among the related words is searched for as one compound word ("shutdown",
//     "pullrequest"), the way operation names spell it.
//   - Words that mean many things in APIs ("group": security groups, API groups) are left out
//     of the noun groups: as related words they would match everywhere.
//   - "post" is not a create word: as a verb it means sending ("post in the channel"), and the
//     method POST already stands for creating (methodBoost).
//   - methods, when set, are the HTTP methods that a query word of the group hints at
//     (methodBoost); only the CRUD groups carry them.
var wordGroups = []struct {
	methods string
	words   string
}{
	// CRUD: the four operations of REST and the everyday words for them.
	{"POST", "create, add, new, make, insert, register, generate, provision, open, establish, build, set up, spin up"},
	{"DELETE", "delete, remove, destroy, erase, drop, discard, purge, wipe, terminate, kick, evict, expel, revoke, unregister, deregister, prune, get rid of, throw away, clean up, take down"},
	{"GET", "list, enumerate, browse, search, find, query, filter, show all"},
	{"GET", "get, fetch, read, retrieve, describe, show, view, display, inspect, look up, lookup, see, check, give me, show me, tell me"},
	{"PUT PATCH", "update, modify, change, edit, set, patch, alter, adjust, configure, rename, replace, amend"},

	// Lifecycle verbs of servers, containers, jobs and sessions.
	{"", "start, run, launch, boot, resume, spin up, fire up, power on, begin, kick off"},
	{"", "stop, halt, pause, suspend, shut down, shutdown, power off, freeze, kill"},
	{"", "restart, reboot, reload, reset, power cycle, bounce"},
	{"", "cancel, abort, abandon, call off"},
	{"", "end, finish, close, conclude, complete, wrap up"},
	{"", "execute, exec, run, invoke, trigger"},
	{"", "reschedule, postpone, delay, push back, move"},
	{"", "rollback, roll back, undo, revert, restore"},
	{"", "scale, resize, grow, shrink, increase, decrease, expand"},
	{"", "allocate, reserve, claim, acquire"},
	{"", "enable, activate, turn on, switch on"},
	{"", "disable, deactivate, turn off, switch off"},

	// Access: granting, refusing and reviewing.
	{"", "allow, permit, authorize, grant, let, whitelist, allowlist"},
	{"", "ban, block, blacklist, blocklist, denylist, mute"},
	{"", "approve, accept, confirm, sign off"},
	{"", "reject, deny, decline, refuse"},
	{"", "assign, give, grant, award"},
	{"", "subscribe, follow, watch, sign up, enroll, register, join, opt in"},
	{"", "unsubscribe, unfollow, unwatch, opt out, leave"},
	{"", "login, log in, sign in, authenticate"},
	{"", "logout, log out, sign out"},

	// Relations between resources.
	{"", "attach, mount, connect, link, bind, associate, hook up, plug in"},
	{"", "detach, unmount, disconnect, unlink, unbind, disassociate, unplug"},
	{"", "merge, land, squash, combine"},
	{"", "copy, duplicate, clone, fork, replicate"},
	{"", "move, transfer, migrate, relocate"},

	// Moving data in and out.
	{"", "upload, push, import"},
	{"", "download, pull, export"},
	{"", "send, post, deliver, dispatch, notify, publish, broadcast"},
	{"", "share, publish, expose"},
	{"", "validate, verify, check, test"},
	{"", "backup, back up, snapshot, checkpoint"},
	{"", "tag, label, annotate, mark"},

	// Resource nouns that recur across APIs.
	{"", "user, member, account, person, people, profile"},
	{"", "participant, attendee, attend, guest"},
	{"", "my, mine, me, myself, current, authenticated, self"},
	{"", "server, instance, machine, vm, host, node"},
	{"", "disk, volume, storage, drive"},
	{"", "image, picture, photo"},
	{"", "file, document, attachment, blob"},
	{"", "message, msg, post, chat, dm"},
	{"", "channel, room, conversation"},
	{"", "organization, org, team, company, workspace, tenant"},
	{"", "repository, repo"},
	{"", "pull request, pr, merge request"},
	{"", "issue, ticket, bug, incident"},
	{"", "comment, reply, note, remark"},
	{"", "version, release, revision"},
	{"", "secret, password, credential, passphrase"},
	{"", "token, key, apikey, api key"},
	{"", "role, permission, privilege, access"},
	{"", "address, ip"},
	{"", "log, output, stdout, stderr, console, print"},
	{"", "meeting, call, conference"},
	{"", "webhook, hook, callback"},
	{"", "invite, invitation"},
	{"", "star, favorite, bookmark, upvote"},
	{"", "reaction, react, emoji"},
	{"", "order, purchase, buy, checkout"},
	{"", "payment, charge, transaction"},
	{"", "invoice, bill, receipt"},
	{"", "cost, spend, expense, billing, price"},
	{"", "statistics, stats, metrics, analytics, report"},
	{"", "recording, record, capture"},
	{"", "email, mail"},
	{"", "notification, alert"},
	{"", "health, status, ping, heartbeat"},
	{"", "config, configuration, settings, preferences, options"},
	{"", "quota, limit"},
	{"", "all, every, each, whole, entire"},
}

// synonymWeight is the weight of a related word against 1 for the word the query has;
// phraseWeight is the weight of the words a phrase stands for.
const (
	synonymWeight = 0.6
	phraseWeight  = 0.8
)

// lexicon is wordGroups compiled to stems.
type lexicon struct {
	groups  []lexGroup
	byStem  map[string][]int // a one-word stem → the groups it is in
	phrases []lexPhrase      // longest first
}

type lexGroup struct {
	// stems are the group's words as the index spells them: the stem of a word, the stem of a
	// phrase's words written as one ("shutdown").
	stems   []string
	methods []string
}

type lexPhrase struct {
	stems []string // the phrase's words, stemmed
	group int
}

var vocabulary = compileLexicon()

func compileLexicon() *lexicon {
	lx := &lexicon{byStem: map[string][]int{}}
	for gi, g := range wordGroups {
		lg := lexGroup{methods: strings.Fields(g.methods)}
		seen := map[string]bool{}
		for _, w := range strings.Split(g.words, ",") {
			w = strings.TrimSpace(w)
			words := strings.Fields(w)
			if len(words) == 0 {
				continue
			}
			var stems []string
			for _, part := range words {
				stems = append(stems, stem(part))
			}
			joined := stem(strings.Join(words, ""))
			if !seen[joined] {
				seen[joined] = true
				lg.stems = append(lg.stems, joined)
			}
			if len(words) == 1 {
				lx.byStem[joined] = appendUnique(lx.byStem[joined], gi)
			} else {
				lx.phrases = append(lx.phrases, lexPhrase{stems: stems, group: gi})
			}
		}
		lx.groups = append(lx.groups, lg)
	}
	// Longest phrases first, so that "show all" wins over "show"; stable for equal lengths.
	for i := 1; i < len(lx.phrases); i++ {
		for j := i; j > 0 && len(lx.phrases[j].stems) > len(lx.phrases[j-1].stems); j-- {
			lx.phrases[j], lx.phrases[j-1] = lx.phrases[j-1], lx.phrases[j]
		}
	}
	return lx
}

func appendUnique(s []int, v int) []int {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}
