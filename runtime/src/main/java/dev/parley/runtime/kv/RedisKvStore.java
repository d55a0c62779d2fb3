package dev.parley.runtime.kv;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.SetParams;

/**
 * The shared tier in Redis or Valkey. An entry is its chunks ({@link #CHUNK} bytes each, the disk
 * tier's file format cut up), then one small index key naming them by a random generation; every key
 * expires after the TTL. Chunks are written before the index, so a reader that finds an index finds
 * a complete generation unless the server evicted part of it (its {@code maxmemory} policy) or it
 * expired: a missing chunk is a miss, never an error. A replica killed mid-write leaves chunks no
 * index names, which expire.
 */
final class RedisKvStore implements SharedKvStore {

    /** A few MiB: large enough that a state is a few round trips, small enough not to stall the server. */
    static final int CHUNK = 4 << 20;
    private static final String PREFIX = "parley:kv:";

    private final JedisPooled redis;
    private final String where;
    private final long ttlMillis;
    private final byte[] fingerprint;

    RedisKvStore(String host, int port, int database, boolean tls, String password, byte[] fingerprint, Duration ttl) {
        this.fingerprint = fingerprint.clone();
        DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(1000).socketTimeoutMillis(2000).database(database).ssl(tls).clientName("parley-kv");
        if (password != null && !password.isEmpty()) {
            config.password(password);
        }
        if (tls) {
            // rediss:// checks that the certificate names the host, as HTTPS does (Jedis leaves it off by default).
            javax.net.ssl.SSLParameters checkHost = new javax.net.ssl.SSLParameters();
            checkHost.setEndpointIdentificationAlgorithm("HTTPS");
            config.sslParameters(checkHost);
        }
        // Request threads look up concurrently: enough connections, and a bounded wait for one (a slow
        // store delays a request by at most the wait plus the socket timeout, then the tier is down).
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        pool.setMaxTotal(32);
        pool.setMaxIdle(32);
        pool.setMaxWait(Duration.ofSeconds(2));
        this.redis = new JedisPooled(new HostAndPort(host, port), config.build(), pool);
        this.where = (tls ? "rediss://" : "redis://") + host + ":" + port + "/" + database;
        this.ttlMillis = ttl.toMillis();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String chunkKey(String key, long generation, int i) {
        return PREFIX + key + ":" + Long.toHexString(generation) + ":" + i;
    }

    @Override
    public Located find(List<String> keys) throws IOException {
        List<Located> all = indexes(keys, true);
        return all.isEmpty() ? null : all.getFirst();
    }

    @Override
    public List<Located> findAll(List<String> keys) throws IOException {
        return indexes(keys, false);
    }

    /** One MGET of the index keys; a value that is not an index is no entry. */
    private List<Located> indexes(List<String> keys, boolean firstOnly) throws IOException {
        List<Located> out = new ArrayList<>();
        if (keys.isEmpty()) {
            return out;
        }
        byte[][] names = new byte[keys.size()][];
        for (int i = 0; i < names.length; i++) {
            names[i] = bytes(PREFIX + keys.get(i));
        }
        List<byte[]> found;
        try {
            found = redis.mget(names);
        } catch (JedisException e) {
            throw new IOException(e.getMessage(), e);
        }
        for (int i = 0; i < found.size(); i++) {
            SharedIndex index = found.get(i) == null ? null : SharedIndex.decode(found.get(i));
            if (index != null) {
                out.add(new Located(keys.get(i), index));
                if (firstOnly) {
                    break;
                }
            }
        }
        return out;
    }

    /** Chunks first, then the index; each with the TTL. */
    @Override
    public void write(String key, long namespace, int[] tokens, MemorySegment state) throws IOException {
        long stateBytes = state.byteSize();
        ByteBuffer head = DiskFiles.head(fingerprint, namespace, tokens, stateBytes);
        long total = DiskFiles.fileBytes(tokens.length, stateBytes);
        int chunks = (int) ((total + CHUNK - 1) / CHUNK);
        long generation = ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE;
        CRC32C crc = new CRC32C();
        crc.update(head.duplicate());
        byte[] headBytes = new byte[head.remaining()];
        head.get(headBytes);
        SetParams ttl = SetParams.setParams().px(ttlMillis);
        try {
            long stateAt = 0;
            for (int i = 0; i < chunks; i++) {
                long from = (long) i * CHUNK;
                byte[] chunk = new byte[(int) Math.min(CHUNK, total - from)];
                int at = 0;
                if (from < headBytes.length) {
                    at = Math.min(chunk.length, headBytes.length - (int) from);
                    System.arraycopy(headBytes, (int) from, chunk, 0, at);
                }
                int fromState = (int) Math.min(chunk.length - at, stateBytes - stateAt);
                if (fromState > 0) {
                    MemorySegment.copy(state, java.lang.foreign.ValueLayout.JAVA_BYTE, stateAt, chunk, at, fromState);
                    crc.update(chunk, at, fromState);
                    stateAt += fromState;
                    at += fromState;
                }
                if (at < chunk.length) { // the checksum's 8 bytes, in the last chunk
                    ByteBuffer.wrap(chunk, at, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(crc.getValue());
                }
                redis.set(bytes(chunkKey(key, generation, i)), chunk, ttl);
            }
            SharedIndex index = SharedIndex.of(fingerprint, namespace, tokens, stateBytes, generation, chunks);
            redis.set(bytes(PREFIX + key), index.encode(), ttl);
        } catch (JedisException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    @Override
    public MemorySegment read(Located at, Arena arena) throws IOException {
        SharedIndex index = at.index();
        byte[][] names = new byte[index.chunks()][];
        for (int i = 0; i < names.length; i++) {
            names[i] = bytes(chunkKey(at.key(), index.generation(), i));
        }
        MemorySegment all = arena.allocate(index.blobBytes(), 64);
        long off = 0;
        try {
            // A few chunks per round trip: the whole state is never held twice on the heap.
            for (int i = 0; i < names.length; i += 4) {
                byte[][] some = java.util.Arrays.copyOfRange(names, i, Math.min(names.length, i + 4));
                for (byte[] chunk : redis.mget(some)) {
                    if (chunk == null) {
                        return null; // evicted or expired: a miss
                    }
                    if (off + chunk.length > all.byteSize()) {
                        return all; // longer than the index said: the checksum refuses it
                    }
                    MemorySegment.copy(chunk, 0, all, java.lang.foreign.ValueLayout.JAVA_BYTE, off, chunk.length);
                    off += chunk.length;
                }
            }
        } catch (JedisException e) {
            throw new IOException(e.getMessage(), e);
        }
        return off == all.byteSize() ? all : all.asSlice(0, off);
    }

    @Override
    public void delete(Located at) throws IOException {
        List<byte[]> names = new ArrayList<>();
        names.add(bytes(PREFIX + at.key()));
        for (int i = 0; i < at.index().chunks(); i++) {
            names.add(bytes(chunkKey(at.key(), at.index().generation(), i)));
        }
        try {
            redis.del(names.toArray(new byte[0][]));
        } catch (JedisException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    @Override
    public void ping() throws IOException {
        try {
            redis.ping();
        } catch (JedisException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    @Override
    public String describe() {
        return where;
    }

    @Override
    public String backend() {
        return "redis";
    }

    @Override
    public void close() {
        redis.close();
    }
}
