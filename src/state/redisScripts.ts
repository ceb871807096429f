/**
 * Lua scripts of the Redis backend: each runs atomically on the server, so a key change and its
 * change notification can't be separated and two writers can't interleave a check and a write.
 *
 * Layout under the prefix P: `P key:ID` (hash: agent, hash, created_at, expires_at, revoked_at,
 * last_seen_at — absent fields are null), `P keys` (set of all ids), `P agent-keys:NAME` (set of
 * the agent's ids), `P key-hash:HEX` (→ id, keeps hashes unique), `P session:NAME` (hash),
 * `P sessions` (set of names), `P kv` (hash). Every key change increments `P keys-generation` and
 * publishes the new value on `P keys-changed`.
 */

/**
 * KEYS: key hash, all-keys set, agent-keys set, key-hash index.
 * ARGV: id, agent, hash hex, created_at, expires_at or '', replace '1'|'0', prefix, channel.
 * Returns {0} when the id or hash exists already, else {1, ids revoked by replace…}.
 */
export const ADD_KEY = `
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[4]) == 1 then return { 0 } end
local out = { 1 }
if ARGV[6] == '1' then
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do
    local k = ARGV[7] .. 'key:' .. id
    if redis.call('HEXISTS', k, 'revoked_at') == 0 then
      redis.call('HSET', k, 'revoked_at', ARGV[4])
      out[#out + 1] = id
    end
  end
end
redis.call('HSET', KEYS[1], 'agent', ARGV[2], 'hash', ARGV[3], 'created_at', ARGV[4])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'expires_at', ARGV[5]) end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('SET', KEYS[4], ARGV[1])
redis.call('PUBLISH', ARGV[8], redis.call('INCR', ARGV[7] .. 'keys-generation'))
return out
`;

/**
 * KEYS: agent-keys set. ARGV: revoked_at, key id or '' (all), prefix, channel.
 * Returns the ids revoked by this call.
 */
export const REVOKE_KEYS = `
local ids
if ARGV[2] ~= '' then ids = { ARGV[2] } else ids = redis.call('SMEMBERS', KEYS[1]) end
local out = {}
for _, id in ipairs(ids) do
  local k = ARGV[3] .. 'key:' .. id
  if redis.call('SISMEMBER', KEYS[1], id) == 1 and redis.call('HEXISTS', k, 'revoked_at') == 0 then
    redis.call('HSET', k, 'revoked_at', ARGV[1])
    out[#out + 1] = id
  end
end
if #out > 0 then redis.call('PUBLISH', ARGV[4], redis.call('INCR', ARGV[3] .. 'keys-generation')) end
return out
`;

/** KEYS: key hashes. ARGV: last-seen times, same order. Moves times forward only. */
export const TOUCH_KEYS = `
for i, k in ipairs(KEYS) do
  if redis.call('EXISTS', k) == 1 then
    local current = tonumber(redis.call('HGET', k, 'last_seen_at') or '0')
    if tonumber(ARGV[i]) > current then redis.call('HSET', k, 'last_seen_at', ARGV[i]) end
  end
end
return 0
`;
