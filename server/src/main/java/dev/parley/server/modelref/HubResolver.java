package dev.parley.server.modelref;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A Hugging Face reference to model files in the Hub cache: the file list at the revision's commit, the quant
 * picked as llama-server picks it, each part fetched unless cached, then linked into {@code snapshots/<commit>/}.
 * Offline (HF_HUB_OFFLINE=1, or the Hub unreachable) it chooses among the files of the cached snapshot.
 */
final class HubResolver {

    private static final System.Logger LOG = System.getLogger("parley");

    private final ModelSources sources;
    private final HttpClient http;

    HubResolver(ModelSources sources, HttpClient http) {
        this.sources = sources;
        this.http = http;
    }

    /** The local paths of the model's parts, first part first. */
    List<Path> resolve(String repo, String quant, String file, String revision, PullProgress progress) {
        HubCache cache = HubCache.of(sources.hubCache(), repo);
        String name = "hf:" + repo + (file != null ? "/" + file : quant != null ? ":" + quant : "");
        if (sources.offline()) {
            return cached(cache, repo, quant, file, revision, name, "HF_HUB_OFFLINE is set");
        }
        try {
            progress.status("pulling manifest");
            HubApi api = new HubApi(sources, http);
            String commit = api.commit(repo, revision);
            List<RepoFile> files = api.files(repo, commit);
            List<RepoFile> chosen = choose(repo, files, RepoFile::path, quant, file);
            BlobDownload download = new BlobDownload(http, sources, progress);
            List<Path> parts = new ArrayList<>();
            for (RepoFile f : chosen) {
                Path snapshot = cache.snapshot(commit, f.path());
                if (!Files.exists(snapshot)) {
                    if (f.blobName() == null) {
                        throw new ModelReferenceException(f.path() + " in " + repo + ": the Hub gave no hash or id for it");
                    }
                    download.fetch(repo, commit, f, cache);
                    snapshot = cache.link(commit, f.path(), f.blobName());
                } else {
                    // already here: reported whole, as Ollama reports a layer it has
                    progress.bytes(f.path(), f.sha256() == null ? null : "sha256:" + f.sha256(), f.size(), f.size());
                }
                parts.add(snapshot);
            }
            cache.writeRef(revision, commit);
            LOG.log(System.Logger.Level.INFO, name + " -> " + chosen.getFirst().path() + " at commit " + commit.substring(0, 12)
                    + (chosen.size() > 1 ? " (" + chosen.size() + " parts)" : "") + ", in " + cache.repoDir());
            return check(parts);
        } catch (HubApi.Unreachable e) {
            LOG.log(System.Logger.Level.WARNING, e.getMessage() + "; looking in the cache");
            return cached(cache, repo, quant, file, revision, name, e.getMessage());
        } catch (IOException e) {
            throw new ModelReferenceException("fetching " + name + " failed: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelReferenceException("fetching " + name + " was interrupted");
        }
    }

    private List<Path> cached(HubCache cache, String repo, String quant, String file, String revision, String name, String why) {
        String commit = cache.commit(revision);
        List<String> files = commit == null ? List.of() : cache.snapshotFiles(commit);
        if (files.isEmpty()) {
            throw new ModelReferenceException(name + " is not in the Hugging Face cache " + sources.hubCache() + " (" + why
                    + "): fetch it once with the network on");
        }
        List<String> chosen = choose(repo, files, Function.identity(), quant, file);
        return check(chosen.stream().map(f -> cache.snapshot(commit, f)).toList());
    }

    private static <F> List<F> choose(String repo, List<F> files, Function<F, String> path, String quant, String file) {
        return file != null ? QuantPicker.file(repo, files, path, file) : QuantPicker.pick(repo, files, path, quant);
    }

    /** Every part must be a whole GGUF before llama.cpp sees any. */
    private static List<Path> check(List<Path> parts) {
        for (Path p : parts) {
            GgufCheck.verify(p);
        }
        return parts;
    }
}
