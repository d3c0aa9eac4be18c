package dev.jgrad.examples.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** Why a file operation failed, in a few words a user can act on (the JDK's messages are often just a path). */
public final class FileProblem {
    private FileProblem() {
    }

    /**
     * The cause in words, naming the path the JDK reports when it differs from {@code path}:
     * "no such file or folder", "permission denied", "not a folder", … , else the exception's message.
     */
    public static String describe(IOException e, Object path) {
        String what = switch (e) {
            case NoSuchFileException ignored -> "no such file or folder";
            case AccessDeniedException ignored -> "permission denied";
            case NotDirectoryException ignored -> "not a folder";
            case FileAlreadyExistsException ignored -> "already exists";
            case DirectoryNotEmptyException ignored -> "folder not empty";
            case CharacterCodingException ignored -> "not valid text in the expected encoding";
            case FileSystemException f when f.getReason() != null -> f.getReason();
            default -> e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        };
        if (e instanceof FileSystemException f && f.getFile() != null && !f.getFile().equals(String.valueOf(path))) {
            return what + ": " + f.getFile();
        }
        return what;
    }

    /** As {@link #describe(IOException, Object)} for an {@link UncheckedIOException}'s cause. */
    public static String describe(UncheckedIOException e, Object path) {
        return describe(e.getCause(), path);
    }
}
