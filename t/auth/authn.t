# SPDX-License-Identifier: Apache-2.0
# SessionDemoAuthProvider file: passwords checked against an htpasswd file
# made with `htpasswd -B` (bcrypt), through httpd's authn providers.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use SDTest qw(use_vhost login cookie_value session_id mc_get);

plan tests => 12;

use_vhost('sd_authn');
my $res = login('alice', 'wrong password');
is($res->code, 302, 'wrong password: redirect');
is($res->header('Location'), '/login?error=2', '... back to the form with an error');
ok(!defined $res->header('Set-Cookie'), '... and no session');
like(GET('/login?error=2')->content, qr/Invalid username or password/, 'the form says so');

$res = login('mallory', 'anything');
is($res->header('Location'), '/login?error=2', 'unknown user: same answer (no user enumeration)');

$res = login('alice', 'correct horse battery');
is($res->header('Location'), '/', 'right bcrypt password: logged in');
my $id = session_id(cookie_value($res));
ok($id, '... with a session');
like((SDTest::mc_get_session($id))[1] // '', qr/"sessiondemo":\{[^}]*"login":"password"\}/,
     '... which records that a password verified the login');
like(GET('/')->content, qr{Name:</strong> alice</p>}, 'home shows alice');

my $log = do { local (@ARGV, $/) = (Apache::Test::vars('t_logs') . '/error_log'); <> };
like($log, qr/SD00416: login refused for user 'alice': wrong password/, 'refused login is logged');
unlike($log, qr/wrong password'|correct horse/, 'passwords never reach the log');

# Login answers take as long for unknown users as for known ones, so their
# timing does not tell which names have accounts: with bcrypt cost 10 a
# known user's check costs tens of milliseconds, an unknown one nothing
# unless the module spends the same work on a decoy.
my $slow = Apache::Test::vars('t_logs') . '/slow.htpasswd';
system('htpasswd', '-B', '-C', '10', '-b', '-c', $slow, 'kim', 'the right one') == 0
    or die "htpasswd failed";
chmod 0644, $slow;
use_vhost('sd_authn_slow');
use Time::HiRes qw(time);
sub median { my @s = sort { $a <=> $b } @_; return $s[int(@s / 2)] }
sub login_secs { my ($user) = @_; my $t0 = time; login($user, 'not the password'); return time - $t0 }
login_secs('kim') for 1 .. 2;   # warm up
my (@known, @unknown);
for (1 .. 9) { push @known, login_secs('kim'); push @unknown, login_secs("nobody$_") }
my ($k, $u) = (median(@known), median(@unknown));
ok($u >= 0.5 * $k, sprintf('unknown users take as long as known ones (median %.1f ms vs %.1f ms)',
                           $u * 1000, $k * 1000));
