# SPDX-License-Identifier: Apache-2.0
# The admin's revoke (issue 20, defect 6): POST revoke-user= runs only for a
# user httpd has authenticated (AuthType + Require on the status page), and
# only with an Origin of this site (not a SessionDemoTrustedOrigin) or
# Sec-Fetch-Site: same-origin. A request
# a same-host reverse proxy passes on (from 127.0.0.1, no credentials, no
# Origin) revokes nothing. Reading the page stays as configured.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use LWP::UserAgent;
use HTTP::Request::Common ();
use HTTP::Cookies;
use JSON::PP;
use SDTest qw(log_size log_since);

plan tests => 26;

my $json = JSON::PP->new;
my $base = do {
    local $Apache::TestRequest::Module = 'sd_admin';
    'http://' . Apache::TestRequest::hostport();
};

# A browser of bob's: its own jar.
sub browser {
    my $ua = LWP::UserAgent->new(timeout => 30, cookie_jar => HTTP::Cookies->new,
                                 requests_redirectable => []);
    return $ua;
}
sub log_in {
    my ($ua, $user, $password) = @_;
    return $ua->request(HTTP::Request::Common::POST("$base/login",
        [username => $user, password => $password], Origin => $base));
}
sub name_of {
    my ($ua) = @_;
    return $ua->get("$base/")->content =~ m{<strong>Name:</strong> ([^<]*)</p>} ? $1 : '';
}
sub post_revoke {
    my ($path, $user, %opt) = @_;
    my $req = HTTP::Request::Common::POST("$base$path", ['revoke-user' => $user]);
    $req->authorization_basic(@{ $opt{basic} }) if $opt{basic};
    $req->header($_ => $opt{headers}{$_}) for keys %{ $opt{headers} // {} };
    return ($opt{ua} // LWP::UserAgent->new(timeout => 30))->request($req);
}
my @admin = (basic => ['alice', 'correct horse battery']);

my $bob = browser();
is(log_in($bob, 'bob', 'hunter2 hunter2')->code, 302, 'bob logs in');
is(name_of($bob), 'bob', '... and is logged in');

# --- a same-host reverse proxy's request --------------------------------------
my $from = log_size();
my $res = post_revoke('/open-status', 'bob');
is($res->code, 403, 'Require local alone: a POST from 127.0.0.1 without credentials or Origin (what'
   . ' a front ProxyPass sends) is refused (403)');
like($res->content, qr/authenticated/, '... saying an authenticated user is needed');
like(log_since($from), qr/SD00518: revoke refused: the request is not authenticated/, '... logged (SD00518)');
is(post_revoke('/open-status', 'bob', headers => { Origin => $base })->code, 403,
   '... with a same-origin Origin too: no authenticated user, no revoke');
is(name_of($bob), 'bob', '... bob is still logged in');

# --- AuthType Basic on the status page ----------------------------------------
is(post_revoke('/sessiondemo-status', 'bob')->code, 401, 'no credentials: httpd asks for them (401)');
is(post_revoke('/sessiondemo-status', 'bob', basic => ['alice', 'wrong'])->code, 401,
   'a wrong password: 401');
$from = log_size();
$res = post_revoke('/sessiondemo-status', 'bob', @admin);
is($res->code, 403, 'authenticated, but neither Origin nor Sec-Fetch-Site: 403');
like(log_since($from), qr/SD00507: revoke by alice refused: not from this site's own page/,
     '... logged (SD00507)');
is(post_revoke('/sessiondemo-status', 'bob', @admin, headers => { Referer => "$base/sessiondemo-status" })->code,
   403, 'authenticated, a Referer alone: 403 (a proxy can send any Referer; Origin or Sec-Fetch-Site is asked for)');
is(post_revoke('/sessiondemo-status', 'bob', @admin, headers => { Origin => 'http://evil.example' })->code,
   403, 'authenticated, cross-origin Origin: 403');
$from = log_size();
is(post_revoke('/sessiondemo-status', 'bob', @admin, headers => { Origin => 'https://partner.example' })->code,
   403, 'authenticated, an Origin SessionDemoTrustedOrigin names: 403 (only this server\'s own origin)');
like(log_since($from), qr/SD00507: revoke by alice refused: not from this site's own page \(Origin https:\/\/partner\.example is not this server's\)/,
     '... logged (SD00507)');
is(post_revoke('/sessiondemo-status', 'bob', @admin,
               headers => { Origin => $base, 'Sec-Fetch-Site' => 'cross-site' })->code,
   403, 'authenticated, same Origin but Sec-Fetch-Site cross-site: 403');
is(post_revoke('/sessiondemo-status', 'bob', @admin, headers => { Origin => 'null' })->code,
   403, 'authenticated, Origin: null (a sandboxed or file page): 403');
is(post_revoke('/sessiondemo-status', 'bob', @admin,
               headers => { Origin => $base, 'Sec-Fetch-Site' => 'none' })->code,
   403, 'authenticated, same Origin but Sec-Fetch-Site none (the app accepts it, the admin not): 403');
is(name_of($bob), 'bob', '... bob is still logged in after all of them');

$res = post_revoke('/sessiondemo-status', 'bob', @admin, headers => { Origin => $base });
is($res->code, 200, 'authenticated + same-origin Origin: the revoke runs');
is_deeply($json->decode($res->content), { user => 'bob', realm => 'admin-test', revoked => 1 },
          '... ending bob\'s session');
is(name_of($bob), 'Guest', '... bob is logged out');

log_in($bob, 'bob', 'hunter2 hunter2');
is(post_revoke('/sessiondemo-status', 'bob', @admin, headers => { 'Sec-Fetch-Site' => 'same-origin' })->code,
   200, 'authenticated + Sec-Fetch-Site: same-origin (a browser that sends no Origin): the revoke runs');

# --- this module's own gate ---------------------------------------------------
my $alice = browser();
log_in($alice, 'alice', 'correct horse battery');
log_in($bob, 'bob', 'hunter2 hunter2');
is(post_revoke('/gated-status', 'bob', ua => $alice, headers => { Origin => $base })->code, 200,
   'AuthType sessiondemo + Require user alice: alice\'s session revokes from the page');
is(post_revoke('/gated-status', 'bob', ua => $bob, headers => { Origin => $base })->code, 401,
   '... bob\'s own session is not alice: refused by httpd');

# --- reading stays as configured ----------------------------------------------
is(LWP::UserAgent->new->get("$base/sessiondemo-status?json")->code, 200,
   'reading the status page needs no credentials where it is configured so');
