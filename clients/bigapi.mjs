#!/usr/bin/env node
// The upstream of a function whose document is too big for "all" mode (PRODUCT.md,
// "Catalogues for agents"): 60 operations, 30 tagged "issues", 20 "pulls" and 10 untagged,
// shaped like a code host's API. listIssues takes a bracketed query parameter, filter[state];
// mergePull (PUT) takes a query parameter and a JSON body. No dependencies.
//
//   node bigapi.mjs
//
// Serves the document at GET /openapi.json, answers every other request with
// {"ran":"METHOD PATH"} and records it; GET /__calls returns the recorded requests, oldest
// first, as [{"method","url","body"}] (url is the raw request target, Node's req.url, so a
// check sees the query exactly as the gateway sent it). Prints one JSON line when it listens:
// {"upstream":"http://127.0.0.1:P"}, and runs until it is killed.

import http from 'node:http';

const str = { type: 'string' };
const int = { type: 'integer' };
const names = { type: 'array', items: str };

// [operationId, method, path, tag, summary, query parameters, JSON body properties, required body properties]
const ops = [
  // issues (30)
  ['listIssues', 'get', '/repos/{owner}/{repo}/issues', 'issues', 'List the issues of a repository',
    { 'filter[state]': { type: 'string', enum: ['open', 'closed', 'all'], description: 'Only issues in this state' }, labels: str, per_page: int }],
  ['createIssue', 'post', '/repos/{owner}/{repo}/issues', 'issues', 'Open a new issue in a repository',
    null, { title: str, body: str, labels: names, assignees: names }, ['title']],
  ['getIssue', 'get', '/repos/{owner}/{repo}/issues/{issue_number}', 'issues', 'Get one issue by its number'],
  ['updateIssue', 'patch', '/repos/{owner}/{repo}/issues/{issue_number}', 'issues', 'Edit the title, body or state of an issue',
    null, { title: str, body: str, state: str }],
  ['lockIssue', 'put', '/repos/{owner}/{repo}/issues/{issue_number}/lock', 'issues', 'Lock the conversation of an issue',
    null, { lock_reason: str }],
  ['unlockIssue', 'delete', '/repos/{owner}/{repo}/issues/{issue_number}/lock', 'issues', 'Unlock the conversation of an issue'],
  ['listIssueComments', 'get', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 'issues', 'List the comments on an issue', { since: str }],
  ['createIssueComment', 'post', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 'issues', 'Comment on an issue',
    null, { body: str }, ['body']],
  ['getIssueComment', 'get', '/repos/{owner}/{repo}/issues/comments/{comment_id}', 'issues', 'Get one issue comment'],
  ['updateIssueComment', 'patch', '/repos/{owner}/{repo}/issues/comments/{comment_id}', 'issues', 'Edit an issue comment',
    null, { body: str }, ['body']],
  ['deleteIssueComment', 'delete', '/repos/{owner}/{repo}/issues/comments/{comment_id}', 'issues', 'Delete an issue comment'],
  ['listIssueLabels', 'get', '/repos/{owner}/{repo}/issues/{issue_number}/labels', 'issues', 'List the labels on an issue'],
  ['addIssueLabels', 'post', '/repos/{owner}/{repo}/issues/{issue_number}/labels', 'issues', 'Add labels to an issue',
    null, { labels: names }, ['labels']],
  ['setIssueLabels', 'put', '/repos/{owner}/{repo}/issues/{issue_number}/labels', 'issues', 'Replace all labels of an issue',
    null, { labels: names }, ['labels']],
  ['removeIssueLabel', 'delete', '/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}', 'issues', 'Remove a label from an issue'],
  ['listIssueEvents', 'get', '/repos/{owner}/{repo}/issues/{issue_number}/events', 'issues', 'List the events of an issue'],
  ['getIssueEvent', 'get', '/repos/{owner}/{repo}/issues/events/{event_id}', 'issues', 'Get one issue event'],
  ['listAssignees', 'get', '/repos/{owner}/{repo}/assignees', 'issues', 'List the people issues can be assigned to'],
  ['addAssignees', 'post', '/repos/{owner}/{repo}/issues/{issue_number}/assignees', 'issues', 'Assign people to an issue',
    null, { assignees: names }, ['assignees']],
  ['removeAssignees', 'delete', '/repos/{owner}/{repo}/issues/{issue_number}/assignees', 'issues', 'Unassign people from an issue',
    null, { assignees: names }, ['assignees']],
  ['listMilestones', 'get', '/repos/{owner}/{repo}/milestones', 'issues', 'List the milestones of a repository', { state: str }],
  ['createMilestone', 'post', '/repos/{owner}/{repo}/milestones', 'issues', 'Create a milestone',
    null, { title: str, due_on: str }, ['title']],
  ['getMilestone', 'get', '/repos/{owner}/{repo}/milestones/{milestone_number}', 'issues', 'Get one milestone'],
  ['updateMilestone', 'patch', '/repos/{owner}/{repo}/milestones/{milestone_number}', 'issues', 'Edit a milestone',
    null, { title: str, state: str, due_on: str }],
  ['deleteMilestone', 'delete', '/repos/{owner}/{repo}/milestones/{milestone_number}', 'issues', 'Delete a milestone'],
  ['listLabels', 'get', '/repos/{owner}/{repo}/labels', 'issues', 'List the labels of a repository'],
  ['createLabel', 'post', '/repos/{owner}/{repo}/labels', 'issues', 'Create a label',
    null, { name: str, color: str, description: str }, ['name']],
  ['getLabel', 'get', '/repos/{owner}/{repo}/labels/{name}', 'issues', 'Get one label by its name'],
  ['updateLabel', 'patch', '/repos/{owner}/{repo}/labels/{name}', 'issues', 'Edit a label',
    null, { new_name: str, color: str }],
  ['deleteLabel', 'delete', '/repos/{owner}/{repo}/labels/{name}', 'issues', 'Delete a label'],
  // pulls (20)
  ['listPulls', 'get', '/repos/{owner}/{repo}/pulls', 'pulls', 'List the pull requests of a repository', { state: str, base: str }],
  ['createPull', 'post', '/repos/{owner}/{repo}/pulls', 'pulls', 'Open a pull request',
    null, { title: str, head: str, base: str, body: str, draft: { type: 'boolean' } }, ['head', 'base']],
  ['getPull', 'get', '/repos/{owner}/{repo}/pulls/{pull_number}', 'pulls', 'Get one pull request'],
  ['updatePull', 'patch', '/repos/{owner}/{repo}/pulls/{pull_number}', 'pulls', 'Edit the title, body, state or base of a pull request',
    null, { title: str, body: str, state: str, base: str }],
  ['mergePull', 'put', '/repos/{owner}/{repo}/pulls/{pull_number}/merge', 'pulls', 'Merge a pull request',
    { merge_method: { type: 'string', enum: ['merge', 'squash', 'rebase'], description: 'How to merge' } },
    { commit_title: str, commit_message: str, sha: { type: 'string', description: 'The head commit the pull request must have' } }],
  ['checkPullMerged', 'get', '/repos/{owner}/{repo}/pulls/{pull_number}/merged', 'pulls', 'Tell whether a pull request was merged'],
  ['listPullCommits', 'get', '/repos/{owner}/{repo}/pulls/{pull_number}/commits', 'pulls', 'List the commits of a pull request'],
  ['listPullFiles', 'get', '/repos/{owner}/{repo}/pulls/{pull_number}/files', 'pulls', 'List the files a pull request changes'],
  ['updatePullBranch', 'put', '/repos/{owner}/{repo}/pulls/{pull_number}/update-branch', 'pulls', 'Bring a pull request branch up to date with its base',
    null, { expected_head_sha: str }],
  ['listPullReviews', 'get', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews', 'pulls', 'List the reviews of a pull request'],
  ['createPullReview', 'post', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews', 'pulls', 'Start a review of a pull request',
    null, { body: str, event: str }],
  ['getPullReview', 'get', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}', 'pulls', 'Get one review'],
  ['submitPullReview', 'post', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/events', 'pulls', 'Submit a pending review',
    null, { body: str, event: str }, ['event']],
  ['dismissPullReview', 'put', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/dismissals', 'pulls', 'Dismiss a review',
    null, { message: str }, ['message']],
  ['deletePullReview', 'delete', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}', 'pulls', 'Delete a pending review'],
  ['listPullReviewComments', 'get', '/repos/{owner}/{repo}/pulls/{pull_number}/comments', 'pulls', 'List the review comments on a pull request'],
  ['createPullReviewComment', 'post', '/repos/{owner}/{repo}/pulls/{pull_number}/comments', 'pulls', 'Comment on a line of a pull request',
    null, { body: str, commit_id: str, path: str, line: int }, ['body', 'path']],
  ['listRequestedReviewers', 'get', '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers', 'pulls', 'List the reviewers requested for a pull request'],
  ['requestReviewers', 'post', '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers', 'pulls', 'Request reviewers for a pull request',
    null, { reviewers: names }],
  ['removeRequestedReviewers', 'delete', '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers', 'pulls', 'Withdraw review requests',
    null, { reviewers: names }, ['reviewers']],
  // untagged (10)
  ['getRateLimit', 'get', '/rate_limit', '', 'Show the caller\'s rate limit'],
  ['getZen', 'get', '/zen', '', 'Get a random sentence of advice'],
  ['getMeta', 'get', '/meta', '', 'Get the service\'s addresses and keys'],
  ['listEmojis', 'get', '/emojis', '', 'List the emojis the service knows'],
  ['renderMarkdown', 'post', '/markdown', '', 'Render a Markdown document as HTML', null, { text: str, mode: str }, ['text']],
  ['getOctocat', 'get', '/octocat', '', 'Draw the mascot as ASCII art', { s: str }],
  ['listLicenses', 'get', '/licenses', '', 'List common open source licenses'],
  ['getLicense', 'get', '/licenses/{license}', '', 'Get one license text'],
  ['listGitignoreTemplates', 'get', '/gitignore/templates', '', 'List the .gitignore templates'],
  ['getGitignoreTemplate', 'get', '/gitignore/templates/{name}', '', 'Get one .gitignore template'],
];

const integerParams = new Set(['issue_number', 'pull_number', 'comment_id', 'event_id', 'milestone_number', 'review_id']);
const paths = {};
for (const [id, method, path, tag, summary, query, body, required] of ops) {
  const parameters = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => (
    { name, in: 'path', required: true, schema: integerParams.has(name) ? int : str }));
  for (const [name, schema] of Object.entries(query ?? {})) {
    const { description, ...s } = schema;
    parameters.push({ name, in: 'query', ...(description ? { description } : {}), schema: s });
  }
  const op = {
    operationId: id,
    ...(tag ? { tags: [tag] } : {}),
    summary,
    parameters,
    responses: { 200: { description: 'ok', content: { 'application/json': { schema: { type: 'object', properties: { ran: str } } } } } },
  };
  if (body) {
    op.requestBody = {
      required: true,
      content: { 'application/json': { schema: { type: 'object', properties: body, ...(required ? { required } : {}) } } },
    };
  }
  (paths[path] ??= {})[method] = op;
}
const doc = JSON.stringify({ openapi: '3.0.3', info: { title: 'Big code host API', version: '1' }, paths });
if (ops.length !== 60) throw new Error(`bigapi: ${ops.length} operations, want 60`);

const calls = [];
const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/openapi.json') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(doc);
    return;
  }
  if (req.method === 'GET' && req.url === '/__calls') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(calls));
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    calls.push({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ran: `${req.method} ${req.url.split('?')[0]}` }));
  });
});
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ upstream: `http://127.0.0.1:${server.address().port}` }));
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { server.closeAllConnections(); process.exit(0); });
}
