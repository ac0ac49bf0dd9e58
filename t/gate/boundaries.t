# SPDX-License-Identifier: Apache-2.0
# The gate's boundaries (issue 20): a SessionDemoPassUser name spelt with
# '_' is stripped in every spelling a backend reads as the same header;
# the session cookie never reaches a backend (CGI, proxied, gated or not)
# while every other cookie does, byte for byte; a user who only browses
# gated pages stays logged in past SessionDemoMaxAge, and a request not
# due for a refresh writes nothing; two valid cookies of our name make a
# guest, not the first one's user. Then the adversarial review's findings:
# the strip whatever the handler, in every server, for every name (F1-F3),
# one tokenizer (F8, F9), a logout ending every named session (F5), and
# no refresh without a lock, in a subrequest or against the absolute
# timeout, nor a loop on an adopted mixed-case name (F4, F7, F6, S3).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use HTTP::Request ();
use SDTest qw(use_vhost cookie_value mc_stats mc_set sign_id);
use POSIX ();

plan tests => 59;

my @html = (Accept => 'text/html,application/xhtml+xml');
# A client on <VirtualHost $name> without a cookie jar: every cookie it sends is explicit.
sub client_on {
    use_vhost($_[0]);
    Apache::TestRequest::user_agent(reset => 1, cookie_jar => undef, requests_redirectable => 0);
}
sub env_of { my ($res, $var) = @_; return $res->content =~ /^\Q$var\E=(.*)$/m ? $1 : undef }
# The user header the proxied backend received, in whatever spelling.
sub echoed_user { my ($res) = @_; return join ',', $res->headers->as_string =~ /^x[-_]remote[-_]user:\s*(.*?)\s*$/mig }
# Logs $user in: the Cookie header ($name=value) of the new session.
sub login_cookie {
    my ($name, $user, $password) = @_;
    return "$name=" . cookie_value(POST('/login', [username => $user, password => $password]), $name);
}
# GET $path with $cookie: the answer and the sets memcached took meanwhile.
sub get_counting_sets {
    my ($path, $cookie) = @_;
    my $before = mc_stats();
    my $res = GET $path, Cookie => $cookie, @html;
    return ($res, mc_stats()->{cmd_set} - $before->{cmd_set});
}

client_on('sd_gate_edge');
my $res = POST '/login', [username => 'bob', password => 'hunter2 hunter2'];
is($res->code, 302, 'bob logs in');
my $val = cookie_value($res, 'edge.sid');
my $cookie = "edge.sid=$val";

# Defect 2: SessionDemoPassUser X_Remote_User; the client's copy in either
# spelling is a forgery to every backend.
for my $name ('X-Remote-User', ':X_Remote_User', 'x-REMOTE_user') {
    (my $shown = $name) =~ s/^://;
    $res = GET '/private/env.cgi', Cookie => $cookie, $name => 'admin';
    is(env_of($res, 'REMOTE_USER'), 'bob', "gated CGI, $shown: admin sent: REMOTE_USER is bob");
    unlike($res->content, qr/admin/, "... and no admin in its environment");
    $res = GET '/app/env.cgi', Cookie => $cookie, $name => 'admin';
    is(echoed_user($res), 'bob', "gated proxy, $shown: admin sent: the backend is told bob only");
    $res = GET '/openapp/env.cgi', $name => 'admin';
    is(echoed_user($res) . (env_of($res, 'HTTP_X_REMOTE_USER') // ''), '',
       "a guest's $shown never reaches an ungated proxied backend");
    $res = GET '/open/env.cgi', $name => 'admin';
    is(env_of($res, 'HTTP_X_REMOTE_USER'), undef, "... nor an ungated CGI");
}

# Defect 4: the session cookie is removed, the others kept byte for byte.
$res = GET '/private/env.cgi', Cookie => "a=1; $cookie;  b=\"x y\" ;c=3", @html;
is(env_of($res, 'REMOTE_USER'), 'bob', 'the gate read the session from the cookie');
is(env_of($res, 'HTTP_COOKIE'), 'a=1;  b="x y" ;c=3', '... and the CGI gets every other cookie as sent, not ours');
is(env_of(GET('/private/env.cgi', Cookie => "$cookie; a=1"), 'HTTP_COOKIE'), 'a=1', 'ours first: removed');
is(env_of(GET('/private/env.cgi', Cookie => "a=1;$cookie"), 'HTTP_COOKIE'), 'a=1', 'ours last: removed');
$res = GET '/private/env.cgi', Cookie => $cookie;
is(env_of($res, 'REMOTE_USER') . '|' . (env_of($res, 'HTTP_COOKIE') // 'none'), 'bob|none',
   'only ours: no Cookie header left at all');
{
    my $req = HTTP::Request->new(GET => Apache::TestRequest::module2url('sd_gate_edge', { path => '/private/env.cgi' }));
    $req->push_header(Cookie => 'a=1; b=2');
    $req->push_header(Cookie => "c=3; $cookie");
    $res = Apache::TestRequest::user_agent()->request($req);
    is(env_of($res, 'REMOTE_USER'), 'bob', 'two Cookie headers: the session is read');
    like(env_of($res, 'HTTP_COOKIE') // '', qr/^a=1; b=2(, |; )c=3$/, '... and only ours is removed');
}
$res = GET '/app/env.cgi', Cookie => "a=1; $cookie; b=2";
is(env_of($res, 'HTTP_COOKIE'), 'a=1; b=2', 'the gated proxied backend does not get the session cookie');
is(scalar $res->header('Cookie'), 'a=1; b=2', '... (its Cookie header, echoed)');
is(env_of(GET('/open/env.cgi', Cookie => "$cookie; a=1"), 'HTTP_COOKIE'), 'a=1',
   'an ungated CGI of the server does not get it either');
is(env_of(GET('/openapp/env.cgi', Cookie => "a=1; $cookie"), 'HTTP_COOKIE'), 'a=1',
   '... nor an ungated proxied backend');
is(GET('/profile', Cookie => "a=1; $cookie")->code, 200, 'the module\'s own pages still get it (bob\'s profile)');
# Review F1: the handler's name does not say what serves the request.
is(env_of(GET('/pp/env.cgi', Cookie => "a=1; $cookie"), 'HTTP_COOKIE'), 'a=1',
   'a server-level ProxyPass under SetHandler sessiondemo does not get it either');
# Review F8: a cookie of ours at the start of a second Cookie line.
{
    my $req = HTTP::Request->new(GET => Apache::TestRequest::module2url('sd_gate_edge', { path => '/private/env.cgi' }));
    $req->push_header(Cookie => 'a=1');
    $req->push_header(Cookie => $cookie);
    $res = Apache::TestRequest::user_agent()->request($req);
    is(env_of($res, 'REMOTE_USER') . '|' . (env_of($res, 'HTTP_COOKIE') // 'none'), 'bob|a=1',
       'Cookie: a=1 + Cookie: ours on a second line: bob, and the CGI gets a=1 only');
}
$res = GET '/open/nothing-here', Cookie => $cookie;
like($res->content, qr/\bbob\b/,
     'a 404 of an ungated path (cookie removed) redirected to the app (ErrorDocument): it still sees bob');

# Defect 10: two cookies of our name (one planted by a sibling host with
# Domain= or a longer Path, which browsers send first) are not "the first".
my $alice = login_cookie('edge.sid', 'alice', 'correct horse battery');
is(GET('/private/page.html', Cookie => "$alice; $cookie", @html)->code, 302,
   "two valid cookies of our name (alice's first): a guest, not alice");
is(GET('/private/page.html', Cookie => "$cookie; $alice", @html)->code, 302, '... nor bob in the other order');
is(env_of(GET('/private/env.cgi', Cookie => "edge.sid=s%3Aplanted.junk; $cookie"), 'REMOTE_USER'), 'bob',
   'a second one that does not verify is ignored: bob');
is(env_of(GET('/private/env.cgi', Cookie => "$cookie; $cookie"), 'REMOTE_USER'), 'bob', 'the same cookie twice: bob');

client_on('sd_gate_keep');
is(env_of(GET('/open/env.cgi', Cookie => 'a=1; keep.sid=s%3Aabc.def'), 'HTTP_COOKIE'), 'a=1; keep.sid=s%3Aabc.def',
   'SessionDemoStripCookie Off: the cookie is passed on');
client_on(undef);
is(env_of(GET('/echo-backend/env.cgi', Cookie => 'connect.sid=s%3Aabc.def; z=9'), 'HTTP_COOKIE'), 'z=9',
   'the main server\'s own cookie name is removed from its CGI');
# Review F3, F2: every server strips every session cookie name of the httpd
# (a host's cookies reach all its ports), and a former name too.
is(env_of(GET('/echo-backend/env.cgi', Cookie => "$cookie; z=9; gshort.sid=s%3Ax.y"), 'HTTP_COOKIE'), 'z=9',
   'another virtual host\'s session cookies are removed from the main server\'s CGI');
is(env_of(GET('/echo-backend/env.cgi', Cookie => 'old-edge.sid=s%3Ax.y; z=9'), 'HTTP_COOKIE'), 'z=9',
   '... and so is a SessionDemoStripCookieName');
is(env_of(GET('/echo-backend/env.cgi', Cookie => '  ;  connect.sid=s%3Ax.y  ;  '), 'HTTP_COOKIE'), undef,
   'padded separators around ours: no lone \';\' left (review F9)');

# Defect 9: the gate refreshes. Not due: nothing is written.
client_on('sd_gate_edge');
($res, my $sets) = get_counting_sets('/private/page.html', $cookie);
is($res->code, 200, 'a gated page, long before the refresh is due');
is($sets, 0, '... writes nothing to memcached');
ok(!$res->header('Set-Cookie'), '... and sends no cookie');

client_on('sd_gate_short');
my $short = login_cookie('gshort.sid', 'bob', 'hunter2 hunter2');
my ($ok, $refreshed) = (1, 0);
for (1 .. 6) {
    sleep 1;
    $res = GET '/private/page.html', Cookie => $short, @html;
    $ok &&= $res->code == 200;
    $refreshed++ if ($res->header('Set-Cookie') // '') =~ /^gshort\.sid=.*Expires=/;
}
ok($ok, 'SessionDemoMaxAge 4: browsing only gated pages for 6 s keeps the user logged in');
ok($refreshed >= 1 && $refreshed < 6, "... refreshed now and then ($refreshed of 6 answers), not on every request");
is(GET('/private/page.html', Cookie => $short, @html)->code, 200, '... and still past the first MaxAge');
sleep 6;
is(GET('/private/page.html', Cookie => $short, @html)->code, 302, 'without browsing, the session ends after MaxAge');

# Review F5: a logout with two valid cookies of our name (one planted) ends
# every session they name, not a new empty one: neither stays alive to serve
# the browser as its owner once the other cookie is gone.
client_on('sd_gate_edge');
my $bob2 = login_cookie('edge.sid', 'bob', 'hunter2 hunter2');
my $alice2 = login_cookie('edge.sid', 'alice', 'correct horse battery');
$res = POST '/logout', [], Cookie => "$alice2; $bob2", 'Sec-Fetch-Site' => 'same-origin';
is($res->code, 302, 'a logout with two valid cookies of our name answers 302');
is(GET('/private/page.html', Cookie => $bob2, @html)->code, 302, "... and ends the planter's session");
is(GET('/private/page.html', Cookie => $alice2, @html)->code, 302, "... and the user's own");

# Review F4: with SessionDemoLock Off there is no lock to re-read under; the
# gate's blind write could bring back a session a logout just ended.
client_on('sd_gate_nolock');
my $nolock = login_cookie('nolock.sid', 'bob', 'hunter2 hunter2');
($res, $sets) = get_counting_sets('/private/page.html', $nolock);
is($res->code, 200, 'SessionDemoLock Off: a gated page due for a refresh is served');
is($sets, 0, '... and the gate does not write the session');
ok(!$res->header('Set-Cookie'), '... nor send a new cookie');

# Review F6: near the absolute timeout the expiry cannot move; no write.
client_on('sd_gate_abs');
my $abs = login_cookie('abs.sid', 'bob', 'hunter2 hunter2');
my $before = mc_stats();
my $sent = 0;
for (1 .. 3) {
    $res = GET '/private/page.html', Cookie => $abs, @html;
    $sent++ if $res->header('Set-Cookie');
}
is(mc_stats()->{cmd_set} - $before->{cmd_set}, 0,
   'AbsoluteTimeout 200 under MaxAge 600: three gated pages due for a refresh write nothing');
is($sent, 0, '... and send no cookie');

# Review F7: a subrequest (an SSI include of a gated page) does not refresh:
# mod_include has sent the page's headers before it includes, so the
# refresh's cookie could not follow its write.
client_on('sd_gate_due');
my $due = login_cookie('due.sid', 'bob', 'hunter2 hunter2');
($res, $sets) = get_counting_sets('/ssi/incl.shtml', $due);
like($res->content, qr/the protected page.*included by ssi/s, 'an ungated SSI page includes a gated one for bob');
is($sets, 0, '... and the subrequest writes nothing (its cookie could not follow)');

# Review S3: an adopted express-session record named "Dave", lowered here,
# is refreshed by the gate (the lowered name is not taken for a change).
{
    my $id = 'ExpressGateDaveUpperCase0000000b';
    my $exp = POSIX::strftime('%Y-%m-%dT%H:%M:%S.000Z', gmtime(time + 1000));
    SDTest::mc_set_session($id, 2, 3600, qq({"cookie":{"originalMaxAge":1000000,"expires":"$exp",)
           . qq("httpOnly":true,"path":"/"},"isLoggedIn":true,"username":"Dave","visitCount":1}));
    my $c = 'due.sid=' . sign_id($id, 'apache-test only: 3c5a0f8e9d2b4e6f8a1c3e5d7f9b2d4e');
    $res = GET '/private/env.cgi', Cookie => $c;
    is(env_of($res, 'REMOTE_USER'), 'dave', 'an adopted "Dave" is dave at the gate');
    like($res->header('Set-Cookie') // '', qr/^due\.sid=/, '... and the refresh goes through');
}
