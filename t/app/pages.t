# SPDX-License-Identifier: Apache-2.0
# Every HTML page of the module (the templates' and the status page) carries
# the one stylesheet, templates/style.css byte for byte, in a <style>
# element that the page's CSP allows by its hash and nothing else inline;
# the viewport is set for phones, and every input a person fills in has a
# label. (tests/browser/ checks that a browser applies it.)
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use Digest::SHA ();
use SDTest qw(new_client login);

my %pages = (
    'guest home' => '/', 'login form' => '/login', 'login error' => '/login?error=1',
    'error page' => '/no-such-page', 'status page' => '/sessiondemo-status',
    'home, logged in' => '/', 'profile' => '/profile', 'sessions' => '/sessions',
);
my @order = ('guest home', 'login form', 'login error', 'error page', 'status page',
             'home, logged in', 'profile', 'sessions');
plan tests => 3 + 8 * @order;

my $top = Apache::Test::vars()->{top_dir};
open my $fh, '<:raw', "$top/templates/style.css" or die "style.css: $!";
my $css = do { local $/; <$fh> };
close $fh;
ok(length($css) > 500 && length($css) < 4096, 'the stylesheet is small: ' . length($css) . ' bytes');

sub csp_hash {
    my $b64 = Digest::SHA::sha256_base64($_[0]);
    return "'sha256-$b64" . ('=' x (-length($b64) % 4)) . "'";
}

new_client();
my $labelled = 0;
for my $name (@order) {
    if ($name eq 'home, logged in') {
        is(login('lena')->code, 302, 'logged in for the pages of a user');
    }
    my $res = GET $pages{$name};
    my $html = $res->content;
    my $csp = $res->header('Content-Security-Policy') // '';
    like($res->header('Content-Type'), qr{^text/html}, "$name: HTML");
    my @styles = $html =~ m{<style>(.*?)</style>}sg;
    is(scalar @styles, 1, "$name: one <style> element");
    ok(defined $styles[0] && $styles[0] eq $css, "$name: it is templates/style.css, byte for byte");
    my ($style_src) = $csp =~ m{(?:^|;)\s*style-src ([^;]*)};
    is($style_src, csp_hash($styles[0] // ''), "$name: the CSP allows exactly that stylesheet, by its hash");
    like($csp, qr{default-src 'none'}, "$name: and nothing else loads");
    unlike($html, qr{\sstyle=}i, "$name: no style attribute (the CSP would block it)");
    like($html, qr{<meta name="viewport" content="width=device-width, initial-scale=1">},
         "$name: the viewport of a phone is its width");
    my @unlabelled;
    for my $input ($html =~ m{<input\b([^>]*)>}g) {
        next if $input =~ /type="hidden"/;
        my ($id) = $input =~ /\bid="([^"]+)"/;
        if ($id && $html =~ /<label for="\Q$id\E">/) { $labelled++ } else { push @unlabelled, $input }
    }
    is("@unlabelled", '', "$name: every input has a <label for>");
}
# The label check saw the login form's fields on both login pages.
is($labelled, 4, 'the login fields were among the inputs checked');
