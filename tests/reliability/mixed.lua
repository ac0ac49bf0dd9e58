-- SPDX-License-Identifier: Apache-2.0
-- wrk script: the demo's traffic mix, with cookies kept per virtual user.
--
-- wrk's Lua runs per thread and never says which connection a response
-- belongs to, so cookies live in per-thread pools instead of per connection:
--   users  - logged-in sessions (POST /login answers 302 + a new session ID)
--   guests - guest sessions created by POST /add-to-cart without a cookie
-- Each thread cycles through a fixed 20-step pattern (below). A logged-in
-- step uses the users pool round robin; while the pool is still small it
-- logs in instead, so sessions are not shared by many connections at once
-- (the session lock would serialise them). A full pool drops its oldest user
-- without logging out (an abandoned session that stays in memcached).
--
-- Every response is classified by what it carries, and every session ID is
-- remembered, so at the end
--   sessions expected alive = new session IDs seen - logouts answered
-- (the mix never logs in over an existing session, so no regeneration
-- deletes a key). Requests still in flight when wrk stops are counted per
-- kind: each unanswered login or add-to-cart may have created one session
-- more, each unanswered logout may have deleted one.
--
-- Script arguments (after --): budget=N stops each thread after N responses
-- (tests/reliability/rss.sh); users=N and guests=N size the pools;
-- cookie=NAME for a server whose SessionDemoCookieName is not connect.sid
-- (t/store/outage.t).

local threads = {}

function setup(thread)
    thread:set("thread_no", #threads + 1)
    table.insert(threads, thread)
end

local PATTERN = {
    "guest_home", "login", "home", "profile", "cart_add",
    "cart", "home", "guest_cart_add", "guest_home", "profile",
    "cart_add", "guest_cart", "home", "logout", "cart",
    "login", "home", "cart_add", "profile", "guest_home",
}
local FORM = { ["Content-Type"] = "application/x-www-form-urlencoded" }
local MAX_ADDS = 90          -- SessionDemoMaxCartItems is 100
local MIN_USERS = 48         -- log in rather than share a few sessions

local budget, max_users, max_guests = 0, 96, 32
local cookie_name = "connect.sid"
local step, user_rr, guest_rr, name_no, guest_toggle = 0, 0, 0, 0, 0
local users, guests, seen, adds = {}, {}, {}, {}

-- Counters read by done() through thread:get("stats").
stats = {
    sent = 0, responses = 0, new_ids = 0,
    login_sent = 0, login_seen = 0, logout_sent = 0, logout_seen = 0,
    cart_new_sent = 0, cart_add_sent = 0, cart_new_seen = 0, cart_add_seen = 0,
    -- plus status_<code> and "unexpected: <what>" counters; the table stays
    -- flat because wrk 4.1's thread:get() crashes on nested tables
}

local function count(k) stats[k] = (stats[k] or 0) + 1 end

function init(args)
    for _, a in ipairs(args) do
        local k, v = a:match("^(%w+)=(%d+)$")
        if k == "budget" then budget = tonumber(v)
        elseif k == "users" then max_users = tonumber(v)
        elseif k == "guests" then max_guests = tonumber(v) end
        cookie_name = a:match("^cookie=([%w._-]+)$") or cookie_name
    end
end

local function with_cookie(c, extra)
    local h = { Cookie = c }
    if extra then for k, v in pairs(extra) do h[k] = v end end
    return h
end

local function next_user()
    if #users == 0 then return nil end
    user_rr = user_rr % #users + 1
    return users[user_rr]
end

local function next_guest()
    if #guests == 0 then return nil end
    guest_rr = guest_rr % #guests + 1
    return guests[guest_rr]
end

local function login()
    name_no = name_no + 1
    stats.login_sent = stats.login_sent + 1
    return wrk.format("POST", "/login", FORM,
        string.format("username=t%d-u%d&password=pw", thread_no or 0, name_no))
end

local function cart_add(c)
    if c and (adds[c] or 0) >= MAX_ADDS then
        return wrk.format("GET", "/cart", with_cookie(c))
    end
    local body = "item=item-" .. step % 7
    if c then
        adds[c] = (adds[c] or 0) + 1
        stats.cart_add_sent = stats.cart_add_sent + 1
        return wrk.format("POST", "/add-to-cart", with_cookie(c, FORM), body)
    end
    stats.cart_new_sent = stats.cart_new_sent + 1
    return wrk.format("POST", "/add-to-cart", FORM, body)
end

local function pending_logins() return stats.login_sent - stats.login_seen end

function request()
    step = step + 1
    stats.sent = stats.sent + 1
    local kind = PATTERN[(step - 1) % #PATTERN + 1]

    if kind == "guest_home" then
        return wrk.format("GET", "/")
    elseif kind == "login" then
        return login()
    elseif kind == "logout" then
        if #users < MIN_USERS then return wrk.format("GET", "/") end
        local c = table.remove(users, 1)
        adds[c] = nil
        stats.logout_sent = stats.logout_sent + 1
        return wrk.format("POST", "/logout", with_cookie(c))
    elseif kind == "guest_cart_add" then
        guest_toggle = 1 - guest_toggle
        if guest_toggle == 1 or #guests == 0 then return cart_add(nil) end
        return cart_add(next_guest())
    elseif kind == "guest_cart" then
        local c = next_guest()
        return wrk.format("GET", "/cart", c and with_cookie(c) or nil)
    end

    -- logged-in steps: home, profile, cart_add, cart
    if #users < MIN_USERS then
        if pending_logins() < MIN_USERS then return login() end
        return wrk.format("GET", "/")
    end
    local c = next_user()
    if kind == "home" then
        return wrk.format("GET", "/", with_cookie(c))
    elseif kind == "profile" then
        return wrk.format("GET", "/profile", with_cookie(c))
    elseif kind == "cart_add" then
        return cart_add(c)
    else
        return wrk.format("GET", "/cart", with_cookie(c))
    end
end

local function push(pool, max, c)
    table.insert(pool, c)
    if #pool > max then
        local old = table.remove(pool, 1)   -- abandoned: stays in memcached
        adds[old] = nil
    end
end

function response(status, headers, body)
    stats.responses = stats.responses + 1
    count("status_" .. status)

    local sc = headers["Set-Cookie"]
    local value = sc and sc:match("^" .. cookie_name:gsub("%p", "%%%0") .. "=([^;]*)")
    local is_cart = status == 200 and body and body:sub(1, 16) == '{"success":true}'
    if value == "" then
        if status == 302 then stats.logout_seen = stats.logout_seen + 1 end
    elseif value then
        local id = value:match("^s%%3A([^.]+)%.")
        if id and not seen[id] then
            seen[id] = true
            stats.new_ids = stats.new_ids + 1
            local cookie = cookie_name .. "=" .. value
            if status == 302 and headers["Location"] == "/" then
                stats.login_seen = stats.login_seen + 1
                push(users, max_users, cookie)
            elseif is_cart then
                stats.cart_new_seen = stats.cart_new_seen + 1
                push(guests, max_guests, cookie)
            else
                count("unexpected: new session from a " .. status)
            end
            is_cart = false
        end
    end
    if is_cart then stats.cart_add_seen = stats.cart_add_seen + 1 end
    if status == 302 and headers["Location"] and headers["Location"]:find("error") then
        count("unexpected: 302 to " .. headers["Location"])
    end

    if budget > 0 and stats.responses >= budget then
        wrk.thread:stop()
    end
end

function done(summary, latency, requests)
    local t = {}
    for _, thread in ipairs(threads) do
        for k, v in pairs(thread:get("stats")) do t[k] = (t[k] or 0) + v end
    end
    local e = summary.errors
    local out = {
        string.format("REL duration_s %.3f", summary.duration / 1e6),
        string.format("REL requests %d", summary.requests),
        string.format("REL rps %.1f", summary.requests / (summary.duration / 1e6)),
        string.format("REL p50_ms %.2f", latency:percentile(50) / 1000),
        string.format("REL p99_ms %.2f", latency:percentile(99) / 1000),
        string.format("REL max_ms %.2f", latency.max / 1000),
        string.format("REL err_connect %d", e.connect),
        string.format("REL err_read %d", e.read),
        string.format("REL err_write %d", e.write),
        string.format("REL err_timeout %d", e.timeout),
    }
    for k, v in pairs(t) do
        if k:match("^unexpected: ") then
            table.insert(out, string.format("REL unexpected %d %s", v, k:sub(13)))
        else
            table.insert(out, string.format("REL %s %d", k, v))
        end
    end
    -- Sessions alive: created - logged out; requests in flight at the stop
    -- widen it (see the top of this file).
    local expected = t.new_ids - t.logout_seen
    local below = t.logout_sent - t.logout_seen
    local above = (t.login_sent - t.login_seen)
        + (t.cart_new_sent + t.cart_add_sent - t.cart_new_seen - t.cart_add_seen)
    table.insert(out, string.format("REL expected %d", expected))
    table.insert(out, string.format("REL expected_min %d", expected - below))
    table.insert(out, string.format("REL expected_max %d", expected + above))
    io.write(table.concat(out, "\n") .. "\n")
end
