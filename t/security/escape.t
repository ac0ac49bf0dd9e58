# SPDX-License-Identifier: Apache-2.0
# Output escaping: whatever a user types is shown as text, never as markup.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use SDTest qw(new_client login cookie_value session_id);

plan tests => 8;

new_client();
my $evil = q{<script>alert("x")</script>&'`=};
my $res = login($evil);
ok(session_id(cookie_value($res)), 'a username with markup can log in');

$res = GET '/';
my $escaped = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#x27;&#x60;&#x3D;';
like($res->content, qr{<strong>Name:</strong> \Q$escaped\E</p>}, 'home escapes the username');
like($res->content, qr{Welcome, \Q$escaped\E!}, 'the flash message is escaped too');
unlike($res->content, qr{<script>}, 'no raw <script> anywhere on home');
$res = GET '/profile';
like($res->content, qr{<h2>Welcome, \Q$escaped\E!</h2>}, 'profile escapes the username');
unlike($res->content, qr{<script>}, 'no raw <script> on profile');
like($res->header('Content-Security-Policy') // '', qr{default-src 'none'}, 'a CSP backs the escaping up');

$res = login('x' x 65);
is($res->code, 400, 'a username over 64 bytes is refused with 400');
