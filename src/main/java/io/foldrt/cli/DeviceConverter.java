package io.foldrt.cli;

import io.foldrt.ir.ModelException;
import io.foldrt.runtime.Device;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Parses {@code --device} with {@link Device#parse}, so picocli reports a bad value with its own message. */
final class DeviceConverter implements ITypeConverter<Device> {
    @Override
    public Device convert(String value) {
        try {
            return Device.parse(value);
        } catch (ModelException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
