package dev.parley.server.modelref;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * One repo's directory in the Hugging Face Hub cache, laid out as huggingface_hub lays it out (and llama.cpp
 * reads it): {@code models--ORG--REPO/blobs/<sha256>}, {@code snapshots/<commit>/<path>} linking to the blob,
 * {@code refs/<revision>} holding the commit. A file any of those tools fetched is found here without a download.
 */
public record HubCache(Path repoDir) {

    public static HubCache of(Path hubCache, String repo) {
        return new HubCache(hubCache.resolve("models--" + repo.replace("/", "--")));
    }

    public Path blob(String sha) {
        return repoDir.resolve("blobs").resolve(sha);
    }

    public Path incomplete(String sha) {
        return repoDir.resolve("blobs").resolve(sha + ".incomplete");
    }

    /** Where a download of the blob holds its lock (huggingface_hub's place: {@code .locks/models--ORG--REPO/}). */
    public Path lock(String sha) {
        return repoDir.getParent().resolve(".locks").resolve(repoDir.getFileName().toString()).resolve(sha + ".lock");
    }

    public Path snapshot(String commit, String file) {
        return repoDir.resolve("snapshots").resolve(commit).resolve(file);
    }

    /** The commit a revision pointed to when last fetched, or null; a commit id is its own answer. */
    public String commit(String revision) {
        if (revision.matches("[0-9a-f]{40}")) {
            return revision;
        }
        Path ref = repoDir.resolve("refs").resolve(revision);
        try {
            return Files.isRegularFile(ref) ? Files.readString(ref).strip() : null;
        } catch (IOException e) {
            return null;
        }
    }

    public void writeRef(String revision, String commit) throws IOException {
        if (revision.equals(commit)) {
            return;
        }
        Path ref = repoDir.resolve("refs").resolve(revision);
        Files.createDirectories(ref.getParent());
        Path tmp = Files.createTempFile(ref.getParent(), ref.getFileName().toString(), ".tmp"); // one per writer: pulls may race
        Files.writeString(tmp, commit);
        Files.move(tmp, ref, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Links {@code snapshots/<commit>/<file>} to the blob (relative, as huggingface_hub does; a copy where links fail). */
    public Path link(String commit, String file, String sha) throws IOException {
        Path target = snapshot(commit, file);
        Files.createDirectories(target.getParent());
        Path blob = blob(sha);
        if (Files.exists(target)) {
            return target;
        }
        Files.deleteIfExists(target); // a dangling link left behind
        try {
            Files.createSymbolicLink(target, target.getParent().relativize(blob));
        } catch (java.nio.file.FileAlreadyExistsException e) {
            return target; // another pull of the same file linked it first
        } catch (UnsupportedOperationException | IOException e) {
            try {
                Files.copy(blob, target);
            } catch (java.nio.file.FileAlreadyExistsException again) {
                return target;
            }
        }
        return target;
    }

    /** The files of a cached snapshot, as paths inside the repo, in name order (what offline mode can choose from). */
    public List<String> snapshotFiles(String commit) {
        Path dir = repoDir.resolve("snapshots").resolve(commit);
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString().replace('\\', '/')).sorted().forEach(out::add);
        } catch (IOException e) {
            return out;
        }
        return out;
    }
}
