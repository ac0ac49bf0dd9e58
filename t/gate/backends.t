# SPDX-License-Identifier: Apache-2.0
# AuthType sessiondemo in front of content that is not the module's: a
# static file, a CGI (REMOTE_USER, SESSIONDEMO_USER) and a proxied backend
# (SessionDemoPassUser), with httpd's own Require deciding; guests asking
# for a page are sent to the login page and back, others get 401; `next`
# only ever leads to a path of this server; a client's copy of the user
# header never reaches a backend.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use SDTest qw(use_vhost login cookie_value);

plan tests => 33;

use_vhost('sd_gate');
my @html = (Accept => 'text/html,application/xhtml+xml');
# No cookie jar: each request says itself whether it has the session.
Apache::TestRequest::user_agent(reset => 1, cookie_jar => undef, requests_redirectable => 0);

# A guest.
my $res = GET '/private/page.html', @html;
is($res->code, 302, 'a guest asking for a protected page is redirected');
is($res->header('Location'), '/login?next=/private/page.html', '... to the login page, with the page as next');
ok(!$res->header('Set-Cookie'), '... and gets no cookie');
$res = GET '/private/page.html?a=1&b=2', @html;
is($res->header('Location'), '/login?next=/private/page.html%3Fa%3D1%26b%3D2', 'the query goes along, encoded');
$res = GET '/private/page.html', Accept => 'application/json';
is($res->code, 401, 'a client that does not accept HTML gets 401');
ok(!$res->header('WWW-Authenticate'), '... without WWW-Authenticate');
is(POST('/private/page.html', [x => 1], @html)->code, 401, 'a POST of a guest gets 401, not a redirect');

# The login page carries next, and the login lands there.
like(GET('/login?next=/private/page.html')->content, qr{<input type="hidden" name="next" value="/private/page\.html">},
     'the login page keeps next in its form');
$res = POST '/login', [username => 'bob', password => 'hunter2 hunter2', next => '/private/page.html'];
is($res->code, 302, 'login');
is($res->header('Location'), '/private/page.html', '... lands on the page it came from');
my $cookie = 'gate.sid=' . cookie_value($res);

for my $evil ('//evil.example', '/\\evil.example', 'https://evil.example/', '/%2F/evil.example',
              "/\t/evil.example", '/%5Cevil.example') {
    my $r = POST '/login', [username => 'bob', password => 'hunter2 hunter2', next => $evil];
    (my $shown = $evil) =~ s/\t/\\t/g;
    is($r->header('Location'), '/', "next '$shown' is ignored: the login lands on /");
}
unlike(GET('/login?next=//evil.example')->content, qr/evil/, 'the login page does not carry a bad next');

# Logged in.
$res = GET '/private/page.html', Cookie => $cookie, @html;
is($res->code, 200, 'the logged-in user gets the static page');
like($res->content, qr/the protected page/, '... its content');
like($res->header('Cache-Control') // '', qr/private/, '... marked private for caches');
like($res->header('Vary') // '', qr/Cookie/i, '... and varying by cookie');
$res = GET '/private/env.cgi', Cookie => $cookie, 'X-Remote-User' => 'mallory';
like($res->content, qr/^REMOTE_USER=bob$/m, 'the CGI sees REMOTE_USER (httpd\'s r->user)');
like($res->content, qr/^SESSIONDEMO_USER=bob$/m, '... SESSIONDEMO_USER');
like($res->content, qr/^SESSIONDEMO_LOGIN_TIME=\d{4}-\d\d-\d\dT/m, '... and SESSIONDEMO_LOGIN_TIME');
like($res->content, qr/^HTTP_X_REMOTE_USER=bob$/m, '... and the user header set by the module, not the client\'s');
is(GET('/alice-only/page.html', Cookie => $cookie, @html)->code, 401, 'Require user alice: bob is refused (401)');

$res = GET '/app/env.cgi', Cookie => $cookie, 'X-Remote-User' => 'mallory';
like($res->content, qr/^HTTP_X_REMOTE_USER=bob$/m, 'the proxied backend gets the username in SessionDemoPassUser');
$res = GET '/private/env.cgi', 'X-Remote-User' => 'mallory', Accept => 'text/plain';
is($res->code, 401, 'a guest with a forged user header is still a guest');
$res = GET '/app/env.cgi', Cookie => $cookie, ':X_Remote_User' => 'mallory', 'x-remote-user' => 'eve';
unlike($res->content, qr/mallory|eve/, 'a copy spelt with underscores or in another case never reaches the backend');
is(POST('/login', [username => "bob\r\nX-Injected: pwned", password => 'hunter2 hunter2'])->header('Location'),
   '/login?error=2', 'a username with CR/LF is refused at login as a failed login (it would reach headers and CGI environments)');
is(POST('/login', [username => 'mallory', password => 'wrong', next => '/private/page.html'])->header('Location'),
   '/login?error=2&next=/private/page.html', 'a failed login keeps next');
is(GET('/app/env.cgi', 'X-Remote-User' => 'mallory', Accept => 'application/json')->code, 401,
   '... and its forged header never reaches the proxied backend (401 before the proxy)');

use_vhost('sd_plain');
Apache::TestRequest::user_agent(reset => 1, cookie_jar => undef, requests_redirectable => 0);
my $demo = POST '/login', [username => 'alice', password => 'anything'];
is(GET('/gated/x', Cookie => 'plain.sid=' . cookie_value($demo), @html)->code, 503,
   'in demo mode (no SessionDemoAuthProvider) the gate refuses: anyone could log in as alice');
