package io.foldrt.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.foldrt.ir.ModelException;
import org.junit.jupiter.api.Test;

class DeviceTest {
    @Test
    void parsesTheAcceptedForms() {
        assertEquals(Device.auto(), Device.parse("auto"));
        assertEquals(Device.cpu(), Device.parse("cpu"));
        assertEquals(Device.cuda(0), Device.parse("cuda"));
        assertEquals(Device.cuda(0), Device.parse("cuda:0"));
        assertEquals(Device.cuda(3), Device.parse(" CUDA:3 "));
    }

    @Test
    void printsWhatParses() {
        for (Device d : new Device[] {Device.auto(), Device.cpu(), Device.cuda(0), Device.cuda(7)}) {
            assertEquals(d, Device.parse(d.toString()));
        }
        assertEquals("cuda:1", Device.cuda(1).toString());
        assertEquals("cuda", Device.cuda(1).kindName());
    }

    @Test
    void rejectsEverythingElseInOneLine() {
        for (String bad : new String[] {"gpu", "", "cuda:", "cuda:-1", "cuda:x", "cpu:1", "cuda:99999999999", "cuda 1"}) {
            ModelException e = assertThrows(ModelException.class, () -> Device.parse(bad));
            assertEquals("unknown device '" + bad + "' (expected auto, cpu, cuda or cuda:N)", e.getMessage());
        }
        assertEquals("unknown device 'null' (expected auto, cpu, cuda or cuda:N)",
                assertThrows(ModelException.class, () -> Device.parse(null)).getMessage());
    }

    @Test
    void onlyCudaHasAnOrdinal() {
        assertThrows(ModelException.class, () -> new Device(Device.Kind.CPU, 1));
        assertThrows(ModelException.class, () -> Device.cuda(-1));
    }
}
