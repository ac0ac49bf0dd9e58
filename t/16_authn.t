# SessionDemoAuthProvider file: passwords checked against an htpasswd file
# made with `htpasswd -B` (bcrypt), through httpd's authn providers.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use SDTest qw(use_vhost login cookie_value session_id);

plan tests => 10;

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
ok(session_id(cookie_value($res)), '... with a session');
like(GET('/')->content, qr{Name:</strong> alice</p>}, 'home shows alice');

my $log = do { local (@ARGV, $/) = (Apache::Test::vars('t_logs') . '/error_log'); <> };
like($log, qr/SD00416: login refused for user 'alice': wrong password/, 'refused login is logged');
unlike($log, qr/wrong password'|correct horse/, 'passwords never reach the log');
