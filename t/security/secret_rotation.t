# SPDX-License-Identifier: Apache-2.0
# SessionDemoSecretFile: secrets from a file, the first signs, the others
# verify; a cookie signed with the old one is accepted and re-issued.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use SDTest qw(use_vhost login cookie_value session_id sign_id);
use File::Temp qw(tempdir);

plan tests => 10;

my $current = 'rotation test: current secret 0123456789abcdef0123';
my $old = 'rotation test: old secret fedcba9876543210fedcba';

use_vhost('sd_rotation');
my $res = login('vera');
my $value = cookie_value($res);
my $id = session_id($value);
is($value, sign_id($id, $current), 'new cookies are signed with the first secret of the file');

sub fresh_get {
    my ($cookie) = @_;
    Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0);
    return GET '/protected', Cookie => "rot.sid=$cookie";
}
is(fresh_get(sign_id($id, $current))->code, 200, 'current-secret cookie accepted');
$res = fresh_get(sign_id($id, $old));
is($res->code, 200, 'old-secret cookie (second line of the file) accepted');
is(cookie_value($res, 'rot.sid'), sign_id($id, $current), '... and re-issued under the current secret');
is(fresh_get(sign_id($id, 'apache-test only: 3c5a0f8e9d2b4e6f8a1c3e5d7f9b2d4e'))->code, 401,
   'the main server secret is not valid here (the file replaced the list)');
is(fresh_get(sign_id($id, '# newest first'))->code, 401, 'comment lines are not secrets');

# The file's mode (issue 20): root:root 0600, what the Debian package makes,
# is quiet at start-up; 0640 is not, even for httpd's own Group (every CGI
# or PHP script running as httpd's user could read the secret).
{
    my $top = Apache::Test::vars('top_dir');
    my $dir = tempdir(CLEANUP => 1);
    chmod 0755, $dir;
    open my $fh, '>', "$dir/secrets" or die "$dir/secrets: $!";
    print $fh "$current\n";
    close $fh;
    # Group before the module's directives, as in Debian's apache2.conf.
    my $conf = qq{Group #} . (stat "$dir/secrets")[5] . qq{\n}
             . qq{LoadModule sessiondemo_module "$top/.libs/mod_sessiondemo.so"\n}
             . qq{SessionDemoSecretFile "$dir/secrets"\nSessionDemoTemplateDir "$top/templates"\n}
             . qq{<Location /app>\nSetHandler sessiondemo\n</Location>};
    chmod 0600, "$dir/secrets";
    my ($rc, $out) = SDTest::config_test($dir, $conf);
    ok($rc == 0 && $out !~ /SD00102/, "a file of the runner's own (uid $<), mode 0600: no warning") or diag $out;
    chmod 0640, "$dir/secrets";
    ($rc, $out) = SDTest::config_test($dir, $conf);
    like($out, qr/SD00102: SessionDemoSecretFile: '\Q$dir\E\/secrets' is readable by other users \(its group is httpd's Group/,
         '... mode 0640 with httpd\'s Group as its group: warned (SD00102)');
    SKIP: {
        skip 'chown needs root', 2 if $> != 0;
        chmod 0600, "$dir/secrets";
        ($rc, $out) = SDTest::config_test($dir, $conf);
        ok($rc == 0 && $out !~ /SD00105/, 'root:root 0600: no owner warning') or diag $out;
        chown 33, 33, "$dir/secrets" or die "chown: $!";
        ($rc, $out) = SDTest::config_test($dir, $conf);
        like($out, qr/SD00105: SessionDemoSecretFile: '\Q$dir\E\/secrets' is owned by uid 33, not root/,
             '... owned by another user (www-data:www-data 0600): warned (SD00105)');
    }
}
