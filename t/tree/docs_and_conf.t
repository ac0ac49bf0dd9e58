# SPDX-License-Identifier: Apache-2.0
# The directive reference and the example configuration stay true: every
# directive of the table in include/sd_config.h (the one source of their
# facts) is documented with the table's default (and nothing else is), and
# conf/sessiondemo.{load,conf} pass apache2 -t.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use SDTest ();
use Apache::Test qw(-withtestmore);
use File::Temp qw(tempdir);

my $vars = Apache::Test::vars();
my $top = $vars->{top_dir};

sub slurp { my ($f) = @_; open my $fh, '<', $f or die "$f: $!"; local $/; <$fh> }

# Table entries: KIND("SessionDemoX", field, [type, args,] default, ...),
# one macro spread over continued lines.
(my $table = slurp("$top/include/sd_config.h")) =~ s/\\\n/ /g;
my %in_code;
while ($table =~ /\b(INT|FLAG|CHOICE|TEXT|LIST|CUSTOM)\("(SessionDemo\w+)",\s*\w+,\s*(?:[\w ]+\*?,\s*[A-Z_0-9]+,\s*)?(NULL|SD_\w+|"[^"]*")?/g) {
    $in_code{$2} = $1 eq 'LIST' ? 'NULL' : $3;
}
my $doc = slurp("$top/docs/directives.md");
my %in_doc = map { $_ => 1 } $doc =~ /^## (SessionDemo\w+)$/mg;
my %doc_default = $doc =~ /^## (SessionDemo\w+)\n(?:.*\n)*?\| Default: \| (.*?) \|$/mg;

plan tests => 4 + 3 * keys(%in_code);

ok(keys(%in_code) >= 20, scalar(keys %in_code) . ' directives found in the table');
for my $d (sort keys %in_code) {
    ok($in_doc{$d}, "$d is documented in docs/directives.md");
    like(slurp("$top/README.md"), qr/\Q$d\E/, "$d is listed in README.md");
    my ($want, $got) = ($in_code{$d}, $doc_default{$d} // '(no Default line)');
    if ($want =~ /^"(.*)"$/) {
        like($got, qr/^`\Q$d $1\E`/, "$d: documented default is the table's ($d $1)");
    }
    elsif ($want eq 'NULL') {
        like($got, qr/^none\b/, "$d: documented default is none, as in the table");
    }
    else {   # a build-time macro, e.g. SD_DEFAULT_TEMPLATE_DIR
        like($got, qr/build/, "$d: documented default names the build-time value ($want)");
    }
}
is_deeply([sort grep { !$in_code{$_} } keys %in_doc], [], 'no documented directive is missing from the code');

# The a2enmod-style example, with the module and a secret file of ours, and
# the modules Debian enables by default that the status page's admin uses.
my $dir = tempdir(CLEANUP => 1);
chmod 0755, $dir;
open my $sf, '>', "$dir/secrets" or die; print $sf "x" x 48, "\n"; close $sf; chmod 0600, "$dir/secrets";
(my $conf = slurp("$top/conf/sessiondemo.conf")) =~ s{/etc/apache2/sessiondemo\.secrets}{$dir/secrets}g;
$conf =~ s{/usr/share/libapache2-mod-sessiondemo/templates}{$top/templates}g;
# a2enconf's half: the app and its status page.
my $app = slurp("$top/conf/app/sessiondemo.conf");
(my $load = slurp("$top/conf/sessiondemo.load")) =~ s{/usr/lib/apache2/modules/mod_sessiondemo\.so}{$top/.libs/mod_sessiondemo.so};
my (undef, $out) = SDTest::config_test($dir, <<"CONF");
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule authz_host_module /usr/lib/apache2/modules/mod_authz_host.so
LoadModule authz_user_module /usr/lib/apache2/modules/mod_authz_user.so
LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so
LoadModule authn_file_module /usr/lib/apache2/modules/mod_authn_file.so
LoadModule auth_basic_module /usr/lib/apache2/modules/mod_auth_basic.so
SessionDemoTemplateDir "$top/templates"
$load
$conf
$app
CONF
like($out, qr/Syntax OK/, 'conf/sessiondemo.load + conf/sessiondemo.conf + conf/app/sessiondemo.conf pass apache2 -t') or diag $out;

# Every source file names its licence (LICENSE, Apache-2.0) in its first
# lines, as the files of httpd do; a new file without it fails here.
my @sources = grep { m{\.(c|h|t|pm|py|sh|mjs|mk|pl|lua|PL)$|^(Makefile|debian/rules|scripts/[^/]+)$} && !m{node_modules/|^t/unit/vectors/} }
              split /\n/, `git -C "$top" ls-files 2>/dev/null`;
my @unlicensed = grep {
    open my $fh, '<', "$top/$_" or die "$_: $!";
    my $head = join '', grep { defined } map { scalar <$fh> } 1 .. 3;
    $head !~ /SPDX-License-Identifier: Apache-2\.0/;
} @sources;
ok(@sources > 100 && !@unlicensed, scalar(@sources) . ' source files name their licence in their first lines')
    or diag "without the SPDX line: @unlicensed";
