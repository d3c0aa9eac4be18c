package dev.jgrad.nn.io;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** The reference files written by {@code scripts/torch/make_reference.py}, from the test classpath. */
final class TorchFiles {
    private TorchFiles() {
    }

    static Path path(String name) {
        URL url = TorchFiles.class.getResource("/torch/" + name + ".safetensors");
        if (url == null) {
            throw new IllegalStateException("missing test resource torch/" + name
                    + ".safetensors; regenerate with /usr/bin/python3 scripts/torch/make_reference.py");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
