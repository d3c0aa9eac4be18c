package dev.jgrad.examples.cli;

import java.util.Arrays;
import java.util.stream.Collectors;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads an enum option by the constants' {@code toString()} (their command-line names, such as
 * {@code gru-reset-after}) and nothing else, so an error lists exactly the names a user may type.
 * A subclass names the enum: {@code static final class Cells extends EnumByName<CellKind> {…}}.
 */
public abstract class EnumByName<E extends Enum<E>> implements ITypeConverter<E> {
    private final Class<E> type;

    protected EnumByName(Class<E> type) {
        this.type = type;
    }

    @Override
    public E convert(String value) {
        for (E e : type.getEnumConstants()) {
            if (e.toString().equals(value)) {
                return e;
            }
        }
        throw new TypeConversionException("expected one of " + Arrays.stream(type.getEnumConstants()).map(Object::toString)
                .collect(Collectors.joining(", ")) + ", got '" + value + "'");
    }
}
