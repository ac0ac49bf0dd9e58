# SPDX-License-Identifier: Apache-2.0
# The current configuration always wins over what a session was stored
# with: the idle and absolute limits of the server answering bound every
# session (a login made under SessionDemoMaxAge 3600 is over after 3 s idle
# where the limit is 2 s), and Set-Cookie's attributes are that server's.
# The two vhosts of one realm stand for one server before and after an
# admin changed its settings.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use HTTP::Date qw(str2time);
use JSON::PP ();
use SDTest qw(use_vhost login cookie_value session_id mc_get);

plan tests => 15;

sub stored_cookie {
    my ($id) = @_;
    my (undef, $data) = SDTest::mc_get_session($id);
    return $data ? JSON::PP::decode_json($data)->{cookie} : undef;
}

use_vhost('sd_shared_long');
my $res = login('dora');
my $value = cookie_value($res);
my $id = session_id($value);
my $cookie = "shared.sid=$value";
is(stored_cookie($id)->{originalMaxAge}, 3600_000, 'logged in under SessionDemoMaxAge 3600');
like(join("\n", $res->header('Set-Cookie')), qr/; HttpOnly; SameSite=Lax$/, '... HttpOnly, SameSite Lax');

use_vhost('sd_shared_short');
my $t0 = time;
$res = GET '/', Cookie => $cookie;
my $set = join "\n", $res->header('Set-Cookie');
like($set, qr/; SameSite=Strict$/, "the next Set-Cookie has the answering server's SameSite");
unlike($set, qr/HttpOnly/, '... and its HttpOnly Off');
my ($expires) = $set =~ /Expires=([^;]+)/;
ok(defined $expires && str2time($expires) - $t0 <= 3, "... and an Expires within its MaxAge 2 ($expires)");
my $c = stored_cookie($id);
is($c->{originalMaxAge}, 2000, "the stored lifetime is now the shorter one");
is($c->{sameSite}, 'strict', "the stored cookie carries the current settings, in express-session's shape");
my (undef, $raw) = SDTest::mc_get_session($id);
like($raw, qr/^\{"cookie":\{"originalMaxAge":2000,"expires":"[^"]+","httpOnly":false,"path":"\/","sameSite":"strict"\},/,
     "... in express-session's member order");

# The decisive case: a session made under 3600 s, idle for 3 s, judged by a
# server whose limit is 2 s.
use_vhost('sd_shared_long');
$res = login('ed');
my $idle = 'shared.sid=' . cookie_value($res);
my $idle_id = session_id(cookie_value($res));
is(GET('/protected', Cookie => $idle)->code, 200, 'a fresh session under MaxAge 3600');
sleep 3;
use_vhost('sd_shared_short');
is(GET('/protected', Cookie => $idle)->code, 401,
   'after 3 s idle it is over where SessionDemoMaxAge is 2, whatever it was stored with');
ok(!scalar(() = SDTest::mc_get_session($idle_id)), '... and removed from memcached');

# An absolute limit the session was not created under applies too.
use_vhost('sd_shared_long');
$res = login('flo');
my $aged = 'shared.sid=' . cookie_value($res);
sleep 2.5;
use_vhost('sd_shared_abs');
is(GET('/protected', Cookie => $aged)->code, 401,
   "SessionDemoAbsoluteTimeout 2 ends a 2.5 s old session made by a server without one");

# Secure comes from the answering server too: over TLS (Secure Auto).
use_vhost('sd_shared_long');
$res = login('gus');
my $plain_cookie = 'shared.sid=' . cookie_value($res);
unlike(join("\n", $res->header('Set-Cookie')), qr/Secure/, 'logged in over plain http: not Secure');
my $tls = Apache::Test::vars('sd_shared_tls_port') or die 'no sd_shared_tls port';
my $out = `curl -sk -i --max-time 10 -H 'Cookie: $plain_cookie' https://localhost:$tls/ 2>&1`;
like($out, qr{^Set-Cookie: shared\.sid=[^\r\n]*; Secure; SameSite=Lax\r?$}mi,
     'the same session over TLS gets a Secure cookie from the answering server (Secure Auto)');
like($out, qr{Name:</strong> gus</p>}, '... and is the same session');
