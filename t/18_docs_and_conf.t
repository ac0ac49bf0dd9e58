# The directive reference and the example configuration stay true: every
# directive in the module's command table is documented (and nothing else
# is), and conf/sessiondemo.{load,conf} pass apache2 -t.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use File::Temp qw(tempdir);

my $vars = Apache::Test::vars();
my $top = $vars->{top_dir};

sub slurp { my ($f) = @_; open my $fh, '<', $f or die "$f: $!"; local $/; <$fh> }

my %in_code = map { $_ => 1 } slurp("$top/src/config.c") =~ /AP_INIT_\w+\("(SessionDemo\w+)"/g;
$in_code{$_} = 1 for slurp("$top/src/config.c") =~ /(?:FLAG|INT)\("(SessionDemo\w+)"/g;
my $doc = slurp("$top/docs/directives.md");
my %in_doc = map { $_ => 1 } $doc =~ /^## (SessionDemo\w+)$/mg;

plan tests => 3 + 2 * keys(%in_code);

ok(keys(%in_code) >= 20, scalar(keys %in_code) . ' directives found in the command table');
for my $d (sort keys %in_code) {
    ok($in_doc{$d}, "$d is documented in docs/directives.md");
    like(slurp("$top/README.md"), qr/\Q$d\E/, "$d is listed in README.md");
}
is_deeply([sort grep { !$in_code{$_} } keys %in_doc], [], 'no documented directive is missing from the code');

# The a2enmod-style example, with the module and a secret file of ours.
my $dir = tempdir(CLEANUP => 1);
chmod 0755, $dir;
open my $sf, '>', "$dir/secrets" or die; print $sf "x" x 48, "\n"; close $sf; chmod 0600, "$dir/secrets";
(my $conf = slurp("$top/conf/sessiondemo.conf")) =~ s{/etc/apache2/sessiondemo\.secrets}{$dir/secrets}g;
(my $load = slurp("$top/conf/sessiondemo.load")) =~ s{/usr/lib/apache2/modules/mod_sessiondemo\.so}{$top/.libs/mod_sessiondemo.so};
open my $fh, '>', "$dir/httpd.conf" or die;
print $fh <<"CONF";
ServerRoot "$dir"
ServerName localhost
PidFile "$dir/httpd.pid"
DefaultRuntimeDir "$dir"
ErrorLog "$dir/error_log"
Listen 127.0.0.1:1
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule authz_host_module /usr/lib/apache2/modules/mod_authz_host.so
SessionDemoTemplateDir "$top/templates"
$load
$conf
CONF
close $fh;
my $out = `$vars->{httpd} -t -f "$dir/httpd.conf" 2>&1`;
like($out, qr/Syntax OK/, 'conf/sessiondemo.load + conf/sessiondemo.conf pass apache2 -t') or diag $out;
