# SPDX-License-Identifier: Apache-2.0
# The app served below a path: the <Location> (or <Directory>) that sets
# SetHandler sessiondemo is its mount, with no directive repeating it, as the
# Debian package's sessiondemo conf mounts it at /sessiondemo. Routes match
# below the mount, every link, form and redirect stays below it (the
# session list's too), paths outside it are 404 even where the handler is
# set, and the gate's login form is the mounted one.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use File::Temp qw(tempdir);
use HTTP::Cookies ();
use HTTP::Request::Common ();
use JSON::PP ();
use LWP::UserAgent ();
use URI ();
use SDTest qw(use_vhost cookie_value config_test);

plan tests => 47;

my @html = (Accept => 'text/html');

sub logged {
    my ($re) = @_;
    open my $fh, '<', Apache::Test::vars('t_logs') . '/error_log' or return 0;
    return scalar grep { $_ =~ $re } <$fh>;
}
use_vhost('sd_mount');

my $res = GET '/app/';
is($res->code, 200, 'GET /app/ is the home page');
like($res->content, qr{<a href="/app/login">Login</a>}, '... its login link is below the mount');
$res = GET '/app';
is($res->code, 200, 'GET /app (no slash) is the home page too');

$res = GET '/app/login';
is($res->code, 200, 'GET /app/login is the login form');
like($res->content, qr{<form method="POST" action="/app/login">}, '... which posts below the mount');
like($res->content, qr{<a href="/app/">Cancel</a>}, '... and cancels to the mounted home');

$res = POST '/app/login', [username => 'alice', password => 'wrong'];
is($res->code, 302, 'a wrong password');
is($res->header('Location'), '/app/login?error=2', '... goes back to the mounted form');
$res = POST '/app/login', [username => '', password => ''];
is($res->header('Location'), '/app/login?error=1', 'an empty form goes back to the mounted form');

$res = GET '/app/profile';
is($res->header('Location'), '/app/login', 'a guest asking for the profile is sent to the mounted form');

$res = POST '/app/login', [username => 'alice', password => 'correct horse battery'];
is($res->code, 302, 'alice logs in');
is($res->header('Location'), '/app/', '... and lands on the mounted home');
my $cookie = 'mount.sid=' . cookie_value($res, 'mount.sid');
$res = GET '/app/', Cookie => $cookie;
like($res->content, qr{Visit Count:</strong> 0<}, 'the home page counts her first visit');
like($res->content, qr{<a href="/app/profile">View Profile</a>}, '... links the mounted profile');
like($res->content, qr{<form method="POST" action="/app/logout"}, '... and logs out below the mount');
$res = GET '/app/', Cookie => $cookie;
like($res->content, qr{Visit Count:</strong> 1<}, 'the second visit counts');

$res = POST '/app/add-to-cart', [item => 'apple'], Cookie => $cookie;
is($res->content, '{"success":true}', 'POST /app/add-to-cart');
is(GET('/app/cart', Cookie => $cookie)->content, '{"items":["apple"]}', 'GET /app/cart');

$res = GET '/app/nothing-here', @html;
is($res->code, 404, 'an unknown route below the mount is 404');
like($res->content, qr{<a href="/app/">Home</a>}, '... with a link to the mounted home');
is(GET('/login')->code, 404, 'a route outside the mount is 404 where the handler is also set (<Location />)');
my $outside = qr{SD00801: GET /application/login: not below this server's mount /app};
my $before = logged($outside);
is(GET('/application/login')->code, 404, '... and so is one that only starts with the mount\'s name');
ok(logged($outside) > $before,
   '... which the log says is not below the mount (SD00801)');

use_vhost('sd_mount');   # a guest again: the jar holds alice's cookie
$res = GET '/members/page.html', @html;
is($res->header('Location'), '/app/login?next=/members/page.html',
   'AuthType sessiondemo sends a guest to the mounted login form (SessionDemoLoginURL follows the mount)');
$res = GET '/members/special/page.html', @html;
is($res->header('Location'), '/app/login?area=special&next=/members/special/page.html',
   'SessionDemoLoginURL set in a <Location> sends the guests of that place to its own form');
is(GET('/members/page.html', @html)->header('Location'), '/app/login?next=/members/page.html',
   '... and the rest of the gate to the server\'s');

# The session list, from two devices of alice's: each its own cookie jar.
(my $base = Apache::TestRequest::module2url('sd_mount', { path => '' })) =~ s{/+\z}{};
sub device {
    return LWP::UserAgent->new(cookie_jar => HTTP::Cookies->new, requests_redirectable => [],
                               timeout => 30);
}
sub post_to {
    my ($ua, $path, $form) = @_;
    return $ua->request(HTTP::Request::Common::POST("$base$path", $form // []));
}
my ($phone, $laptop) = (device(), device());
is($phone->get("$base/app/sessions")->header('Location'), '/app/login?next=/app/sessions',
   'a guest asking for the session list is sent to the mounted form, the list as next');
post_to($_, '/app/login', [username => 'alice', password => 'correct horse battery']) for $phone, $laptop;
$res = $phone->get("$base/app/sessions");
like($res->content, qr{action="/app/sessions/logout-others"}, 'the session list ends the others below the mount');
like($res->content, qr{<a href="/app/">Home</a>\s*<a href="/app/profile">Profile</a>}, '... and links home and profile there');
my @ends = $res->content =~ /<form method="POST" action="([^"]+)">\s*<input type="hidden" name="handle"/g;
ok(@ends >= 2 && !grep({ URI->new_abs($_, "$base/app/sessions")->path ne '/app/sessions/logout' } @ends),
   "... and each session's end button posts to /app/sessions/logout") or diag "@ends";
$res = post_to($phone, '/app/sessions/logout-others');
like($res->header('Location') // '', qr{^/app/sessions\?ended=\d+$}, 'ending the others lands on the mounted list');
my ($own) = grep { $_->{current} } @{ JSON::PP::decode_json($phone->get("$base/app/sessions.json")->content)->{sessions} };
$res = post_to($phone, '/app/sessions/logout', [handle => $own->{handle}]);
is($res->header('Location'), '/app/', "ending this device's own session lands on the mounted home");
is($laptop->get("$base/app/profile")->header('Location'), '/app/login',
   '... and the other device, ended, is a guest sent to the mounted form');

$res = POST '/app/logout', content => '', Cookie => $cookie;
is($res->header('Location'), '/app/', 'logout lands on the mounted home');

# A <Location> alone, in a <VirtualHost>: the app is there, and only there.
use_vhost('sd_anywhere');
$res = GET '/anywhere/login';
is($res->code, 200, '<Location "/anywhere"> SetHandler sessiondemo alone serves the login form at /anywhere/login');
like($res->content, qr{<form method="POST" action="/anywhere/login">}, '... which posts below /anywhere');
$res = GET '/anywhere', @html;
like($res->content, qr{<a href="/anywhere/login">Login</a>}, '... and its home links below /anywhere');
is(GET('/login')->code, 404, "... while the main server's <Location \"/\"> is not the app's place on this host");

# The issue's example: the main server mounts /sessiondemo, a virtual host
# its root; the host answers at its root.
use_vhost('sd_mount_root');
$res = GET '/login';
is($res->code, 200, 'a virtual host with <Location "/"> answers at / while the main server mounts /sessiondemo');
like($res->content, qr{<form method="POST" action="/login">}, '... its form posts to /login');
is(GET('/sessiondemo/login')->code, 404, "... and the main server's mount is not this host's");
use_vhost(undef);
$res = GET '/sessiondemo/login';
is($res->code, 200, 'the main server serves the app at its <Location "/sessiondemo"> too');
like($res->content, qr{<form method="POST" action="/sessiondemo/login">}, '... posting below it');

# A <Directory> reached through an Alias: the URL that reaches it.
use_vhost('sd_mount_dir');
$res = GET '/dirapp/login';
is($res->code, 200, '<Directory> with SetHandler sessiondemo serves the app at the URL of its Alias');
like($res->content, qr{<form method="POST" action="/dirapp/login">}, '... posting below it');

my $dir = tempdir(CLEANUP => 1);
chmod 0755, $dir;
my $top = Apache::Test::vars('top_dir');
my (undef, $out) = config_test($dir, qq{LoadModule sessiondemo_module "$top/.libs/mod_sessiondemo.so"\n}
                                     . "SessionDemoTemplateDir \"$top/templates\"\nSessionDemoSecret \"" . ('s' x 40) . "\"\n"
                                     . "<Location \"/a%20b\">\nSetHandler sessiondemo\n</Location>");
like($out, qr{<Location "/a%20b"> with SetHandler sessiondemo: '/a%20b' is not a URL path},
     'a <Location> the app cannot be mounted at is refused at start-up');
(undef, $out) = config_test($dir, qq{LoadModule sessiondemo_module "$top/.libs/mod_sessiondemo.so"\n}
                                  . "SessionDemoTemplateDir \"$top/templates\"\nSessionDemoMount /app");
like($out, qr{Invalid command 'SessionDemoMount'}, 'SessionDemoMount is gone: the <Location> says where the app is');
