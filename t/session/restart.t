# SPDX-License-Identifier: Apache-2.0
# Seed step 4 ("close and reopen"): sessions live in memcached, so they
# survive a full stop and start of httpd, and a graceful restart.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use SDTest qw(new_client login cookie_value session_id);

plan tests => 8;

my $jar = new_client();
my $res = login('frank');
my $id = session_id(cookie_value($res));
ok($id, 'logged in');
GET '/';
$res = GET '/';
like($res->content, qr{Visit Count:</strong> 1</p>}, 'two views counted before the restart');

my $server = Apache::Test::config()->server;
my $old_pid = $server->pid;
$server->stop;
my $gone = 0;
for (1 .. 50) { $gone = !kill(0, $old_pid) and last; select undef, undef, undef, 0.1 }
ok($gone, 'httpd stopped');
ok($server->start, 'httpd started again');
isnt($server->pid, $old_pid, 'it is a new httpd process');

# The same client (same cookie jar) after the restart.
Apache::TestRequest::user_agent(reset => 1, cookie_jar => $jar, requests_redirectable => 0);
$res = GET '/';
like($res->content, qr{Name:</strong> frank</p>}, 'still logged in after the restart');
like($res->content, qr{Visit Count:</strong> 2</p>}, 'the visit count continues');
$res = GET '/protected';
is($res->code, 200, 'protected content still reachable');
