package dev.jgrad.nn.io;

/**
 * A safetensors file (or a byte array holding one) is malformed: its header length, JSON, dtype,
 * shape or data offsets are inconsistent with each other or with the file's size. The message says
 * what is wrong and names the tensor when one is at fault. Nothing is returned from a refused file.
 */
public final class SafetensorsFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    SafetensorsFormatException(String message) {
        super(message);
    }

    SafetensorsFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
