# SPDX-License-Identifier: Apache-2.0
# Start-up validation: a broken template or a bad directive stops
# `apache2 -t` with a message naming the file and line or the directive.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use SDTest ();
use Apache::Test qw(-withtestmore);
use File::Temp qw(tempdir);

plan tests => 63;

my $vars = Apache::Test::vars();
my $top = $vars->{top_dir};
my $httpd = $vars->{httpd};
my $dir = tempdir(CLEANUP => 1);

sub write_file {
    my ($path, $text) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh;
}

# Runs `apache2 -t` on a minimal config with the module plus $extra.
sub config_test {
    my ($extra) = @_;
    return SDTest::config_test($dir, qq{LoadModule sessiondemo_module "$top/.libs/mod_sessiondemo.so"\n$extra});
}

my $secret = 'SessionDemoSecret "a long enough secret for the start-up tests only 123"';
my ($rc, $out) = config_test("$secret\nSessionDemoTemplateDir \"$top/templates\"");
is($rc, 0, 'a valid configuration passes apache2 -t') or diag $out;

my $app = "<Location /app>\nSetHandler sessiondemo\n</Location>";
($rc, $out) = config_test("SessionDemoTemplateDir \"$top/templates\"\n$app");
isnt($rc, 0, 'no SessionDemoSecret where SetHandler sessiondemo is used: apache2 -t fails');
like($out, qr/SessionDemoSecret is required/, '... saying the secret is required');
($rc, $out) = config_test("SessionDemoTemplateDir \"$top/templates\"");
is($rc, 0, 'no SessionDemoSecret on a server that does not use the module: it starts') or diag $out;
($rc, $out) = config_test("SessionDemoTemplateDir \"$top/templates\"\nListen 127.0.0.1:2\n"
                          . "<VirtualHost 127.0.0.1:2>\n$secret\n$app\n</VirtualHost>");
is($rc, 0, '... and the secret can be set on the virtual host that uses it alone') or diag $out;
($rc, $out) = config_test("SessionDemoTemplateDir \"$top/templates\"\n$app\nListen 127.0.0.1:2\n"
                          . "<VirtualHost 127.0.0.1:2>\n$secret\n</VirtualHost>");
like($out, qr/SessionDemoSecret is required/,
     'a <Location> of the main server with SetHandler sessiondemo needs the secret there');
my $gate = "LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so\n"
         . "<Location /private>\nAuthType sessiondemo\n</Location>";
($rc, $out) = config_test("SessionDemoTemplateDir \"$top/templates\"\n$gate");
like($out, qr/SessionDemoSecret is required where SetHandler sessiondemo or AuthType sessiondemo/,
     'AuthType sessiondemo without a secret fails apache2 -t too (it was a 500 per request)');
($rc, $out) = config_test("SessionDemoTemplateDir \"$top/templates\"\n$secret\n$gate");
is($rc, 0, '... and passes with one') or diag $out;

mkdir "$dir/tpl";
for my $name (qw(head foot home login profile error)) {
    write_file("$dir/tpl/$name.html", "<p>{{x}}</p>\n");
}
($rc, $out) = config_test("$secret\nSessionDemoTemplateDir \"$dir/tpl\"");
isnt($rc, 0, 'a template directory without style.css: apache2 -t fails');
like($out, qr{SessionDemoTemplateDir: \Q$dir\E/tpl/style\.css: cannot open template}, '... naming it');
write_file("$dir/tpl/style.css", "p { color: red }\n</style><script>alert(1)</script>\n");
($rc, $out) = config_test("$secret\nSessionDemoTemplateDir \"$dir/tpl\"");
like($out, qr{style\.css: holds "</style", which would end the <style> element}, 'a stylesheet that would end its <style> element is refused');
write_file("$dir/tpl/style.css", "p { color: red }\n");
write_file("$dir/tpl/home.html", "<head>{{> styles}}</head>\n");
($rc, $out) = config_test("$secret\nSessionDemoTemplateDir \"$dir/tpl\"");
like($out, qr{home\.html:1: unknown partial '\{\{> styles\}\}'}, 'a misspelt {{> style}} is refused');
write_file("$dir/tpl/home.html", "<p>{{x}}</p>\n");
write_file("$dir/tpl/profile.html", "<p>ok</p>\n<p>\n{{#if user}}\nno end\n");
($rc, $out) = config_test("$secret\nSessionDemoTemplateDir \"$dir/tpl\"");
isnt($rc, 0, 'a broken template: apache2 -t fails');
like($out, qr{SessionDemoTemplateDir: \Q$dir\E/tpl/profile\.html:3: }, '... naming the file and line');
like($out, qr{never closed}, '... and the problem');

unlink "$dir/tpl/login.html";
write_file("$dir/tpl/profile.html", "<p>ok</p>\n");
($rc, $out) = config_test("$secret\nSessionDemoTemplateDir \"$dir/tpl\"");
isnt($rc, 0, 'a missing template: apache2 -t fails');
like($out, qr{login\.html: cannot open template}, '... naming the missing file');

($rc, $out) = config_test("$secret\nSessionDemoTemplateDir \"$dir/nowhere\"");
like($out, qr{SessionDemoTemplateDir: '\Q$dir\E/nowhere' is not a readable directory}, 'a missing template dir is named');

($rc, $out) = config_test("$secret\nSessionDemoMaxAge soon");
like($out, qr{SessionDemoMaxAge: 'soon' is not a number of seconds}, 'a non-numeric max age is refused');
($rc, $out) = config_test("$secret\nSessionDemoMaxAge 0");
like($out, qr{SessionDemoMaxAge: 0 is out of range}, 'a zero max age is refused');

($rc, $out) = config_test("$secret\nSessionDemoMemcache 127.0.0.1:notaport");
like($out, qr{SessionDemoMemcache: '127\.0\.0\.1:notaport' has an invalid port}, 'a bad host:port is refused');

($rc, $out) = config_test("$secret\nSessionDemoCookieName \"bad name\"");
like($out, qr{SessionDemoCookieName: 'bad name' is not a valid cookie name}, 'a bad cookie name is refused');

($rc, $out) = config_test("$secret\nSessionDemoKeyPrefix \"" . ('p' x 49) . '"');
like($out, qr{SessionDemoKeyPrefix: '.*' is too long}, 'an over-long key prefix is refused');

($rc, $out) = config_test("SessionDemoSecret short\nSessionDemoTemplateDir \"$top/templates\"");
is($rc, 0, 'a short secret still starts');
like($out, qr{SessionDemoSecret: a secret of 5 bytes is easy to guess}, '... with a warning');

# Realms: never inherited by a virtual host, and one realm never mixes demo
# mode with real passwords.
($rc, $out) = config_test("LogLevel info\nSessionDemoTemplateDir \"$top/templates\"\n$secret\n"
                          . "SessionDemoRealm shop\n$app\nListen 127.0.0.1:2\n"
                          . "LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so\n"
                          . "LoadModule authn_file_module /usr/lib/apache2/modules/mod_authn_file.so\n"
                          . "<VirtualHost 127.0.0.1:2>\nServerName other.example\n"
                          . "SessionDemoAuthProvider file\n</VirtualHost>");
ok($rc == 0 && $out =~ /SD00009: .*serves realm 'shop'/ && $out =~ /SD00009: sessiondemo: other\.example:2 serves realm 'other\.example:2'/,
   'a virtual host does not inherit the main server\'s SessionDemoRealm') or diag $out;
like($out, qr/SD00009: sessiondemo: localhost:1 serves realm 'shop'/,
     'the main server is named by its ServerName and first Listen, not port 0');
($rc, $out) = config_test("SessionDemoTemplateDir \"$top/templates\"\n$secret\n"
                          . "SessionDemoRealm shop\n$app\nListen 127.0.0.1:2\n"
                          . "LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so\n"
                          . "LoadModule authn_file_module /usr/lib/apache2/modules/mod_authn_file.so\n"
                          . "<VirtualHost 127.0.0.1:2>\nSessionDemoRealm shop\n"
                          . "SessionDemoAuthProvider file\n</VirtualHost>");
ok($rc != 0 && $out =~ /SessionDemoRealm 'shop' is shared by a server in demo mode and one with SessionDemoAuthProvider/,
   'one realm for a demo-mode server and one with real passwords is refused') or diag $out;

# Review of i20-store, findings 7 and 5: one realm never mixes store
# formats (an Express server's records can be forged), and a Sealed server
# that uses the store has a secret (else it would use plain records).
($rc, $out) = config_test("SessionDemoTemplateDir \"$top/templates\"\n$secret\n"
                          . "SessionDemoRealm shop\n$app\nListen 127.0.0.1:2\n"
                          . "<VirtualHost 127.0.0.1:2>\nSessionDemoRealm shop\n"
                          . "SessionDemoStoreFormat Express\n</VirtualHost>");
ok($rc != 0 && $out =~ /SessionDemoRealm 'shop' is shared by a server with SessionDemoStoreFormat Sealed and one with Express/,
   'one realm for a Sealed server and an Express one is refused') or diag $out;
my $status = "<Location /status>\nSetHandler sessiondemo-status\n</Location>";
($rc, $out) = config_test("SessionDemoTemplateDir \"$top/templates\"\n$status");
ok($rc != 0 && $out =~ /SessionDemoStoreFormat Sealed \(the default\) needs a secret on a server that uses the session store/,
   'a Sealed status page without a secret is refused') or diag $out;
($rc, $out) = config_test("SessionDemoTemplateDir \"$top/templates\"\n"
                          . "LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so\n"
                          . "LoadModule authn_file_module /usr/lib/apache2/modules/mod_authn_file.so\n"
                          . "SessionDemoAuthProvider file");
ok($rc != 0 && $out =~ /needs a secret on a server that uses the session store/,
   '... so is a Sealed server with SessionDemoAuthProvider (a gate\'s) without one') or diag $out;
($rc, $out) = config_test("SessionDemoTemplateDir \"$top/templates\"\nSessionDemoStoreFormat Express\n$status");
is($rc, 0, '... while an Express status page may go without') or diag $out;

# Each bad value is refused by name.
my @bad = (
    ['SessionDemoCookieSameSite Loose', qr{SessionDemoCookieSameSite: 'Loose' must be Strict, Lax, None or Off}],
    ["SessionDemoCookieSameSite None\nSessionDemoCookieSecure Off", qr{SessionDemoCookieSameSite None needs SessionDemoCookieSecure On or Auto}],
    ['SessionDemoCookieSecure maybe', qr{SessionDemoCookieSecure: 'maybe' must be Off, On or Auto}],
    ['SessionDemoCookieHttpOnly yes', qr{SessionDemoCookieHttpOnly must be On or Off}],
    ['SessionDemoCookiePath app', qr{SessionDemoCookiePath: 'app' must start with '/'}],
    ['SessionDemoCookieDomain "exa mple.org"', qr{SessionDemoCookieDomain: 'exa mple.org' is not a valid cookie domain}],
    ['SessionDemoAbsoluteTimeout -1', qr{SessionDemoAbsoluteTimeout: -1 is out of range}],
    ['SessionDemoRefreshThreshold 101', qr{SessionDemoRefreshThreshold: 101 is out of range \(0 to 100 percent\)}],
    ['SessionDemoMaxBodySize 10', qr{SessionDemoMaxBodySize: 10 is out of range \(64 to 1048576 bytes\)}],
    ['SessionDemoMaxCartItems lots', qr{SessionDemoMaxCartItems: 'lots' is not a number of items}],
    ['SessionDemoAuthProvider nosuch', qr{SessionDemoAuthProvider: unknown authn provider 'nosuch' \(is mod_authn_nosuch loaded\?\)}],
    ['SessionDemoTrustedOrigin evil.example', qr{SessionDemoTrustedOrigin: 'evil.example' must be an origin}],
    ["SessionDemoSecretFile \"$dir/no-such-file\"", qr{SessionDemoSecretFile: cannot read '\Q$dir\E/no-such-file'}],
    ["<Location /x>\nSessionDemoMaxAge 10\n</Location>", qr{SessionDemoMaxAge not allowed in <Location> context}],
    ['SessionDemoLockTTL 1', qr{SessionDemoLockTTL: 1 is out of range \(2 to 60 seconds\)}],
    ["SessionDemoRealm \"caf\xc3\xa9\"", qr{SessionDemoRealm: '.*' is not a realm name \(printable ASCII only\)}],
    ['SessionDemoRealmless Maybe', qr{SessionDemoRealmless: 'Maybe' must be Guest or Adopt}],
    ['SessionDemoLockWaiters 1001', qr{SessionDemoLockWaiters: 1001 is out of range \(0 to 1000 requests\)}],
    ['SessionDemoCookieName __Host-sid', qr{SessionDemoCookieName __Host-sid needs SessionDemoCookieSecure On}],
    ["SessionDemoCookieName __Host-sid\nSessionDemoCookieSecure Auto", qr{needs SessionDemoCookieSecure On: browsers refuse a __Host- cookie without Secure}],
    ["SessionDemoCookieName __Host-sid\nSessionDemoCookieSecure On\nSessionDemoCookieDomain example.org",
     qr{SessionDemoCookieName __Host-sid cannot have a SessionDemoCookieDomain}],
    ["SessionDemoCookieName __Host-sid\nSessionDemoCookieSecure On\nSessionDemoCookiePath /app",
     qr{SessionDemoCookieName __Host-sid needs SessionDemoCookiePath /}],
    ['SessionDemoCookieName __Secure-sid', qr{SessionDemoCookieName __Secure-sid needs SessionDemoCookieSecure On}],
    ['SessionDemoMemcache [::1]:11211', qr{SessionDemoMemcache: '\[::1\]:11211' is an IPv6 address, and apr-util 1\.6's memcached client connects over IPv4 only}],
);
for my $case (@bad) {
    my ($directive, $want) = @$case;
    ($rc, $out) = config_test("$secret\n$directive");
    (my $name = $directive) =~ s/\n/ | /g;
    ok($rc != 0 && $out =~ $want, "refused: $name") or diag "rc=$rc: $out";
}

($rc, $out) = config_test("$secret\nSessionDemoCookieName __Host-sid\nSessionDemoCookieSecure On");
is($rc, 0, 'SessionDemoCookieName __Host-sid with Secure On, Path / and no Domain passes') or diag $out;

write_file("$dir/empty-secrets", "# only a comment\n\n");
($rc, $out) = config_test("SessionDemoSecretFile \"$dir/empty-secrets\"");
like($out, qr{SessionDemoSecretFile: '\Q$dir\E/empty-secrets' holds no secret}, 'a secret file without secrets is refused');

write_file("$dir/secrets", "a file secret that is long enough for the warning 0123\n");
chmod 0644, "$dir/secrets";
($rc, $out) = config_test("SessionDemoSecretFile \"$dir/secrets\"\nSessionDemoTemplateDir \"$top/templates\"\n$app");
is($rc, 0, 'a secret file alone satisfies the secret requirement');
like($out, qr{SessionDemoSecretFile: '\Q$dir\E/secrets' is readable by other users}, '... warning when others can read it');
# Debian's old root:www-data 0640: group read for httpd's own Group shows
# the secret to every CGI or PHP script running as that user; only an
# owner-only file (root:root 0600, what postinst makes now) is quiet.
chmod 0640, "$dir/secrets";
my $gid = (stat "$dir/secrets")[5];
($rc, $out) = config_test("Group #$gid\nSessionDemoSecretFile \"$dir/secrets\"\nSessionDemoTemplateDir \"$top/templates\"\n$app");
like($out, qr{SessionDemoSecretFile: '\Q$dir\E/secrets' is readable by other users \(its group is httpd's Group: every CGI or PHP script can read it\); chown root:root and chmod 600 it},
     '... a warning for mode 0640 even when its group is httpd\'s Group (its CGI scripts could read it)');
($rc, $out) = config_test("Group #" . ($gid + 1) . "\nSessionDemoSecretFile \"$dir/secrets\"\nSessionDemoTemplateDir \"$top/templates\"\n$app");
like($out, qr{SessionDemoSecretFile: '\Q$dir\E/secrets' is readable by other users \(its group\); chown root:root and chmod 600 it},
     '... and a warning when another group can read it');
chmod 0600, "$dir/secrets";
($rc, $out) = config_test("Group #$gid\nSessionDemoSecretFile \"$dir/secrets\"\nSessionDemoTemplateDir \"$top/templates\"\n$app");
ok($rc == 0 && $out !~ /is readable by other users/, '... no warning for an owner-only file (root:root 0600)')
    or diag $out;
