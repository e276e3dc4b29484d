// Embedding cotrack from Java through JNA: record two visits, read them back.
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.math.BigDecimal;
import java.util.Locale;
import java.util.Map;

public class Embed {
  /** The part of cotrack/c.h this program calls; size_t is a 64-bit long on Linux. */
  public interface CoTrack extends Library {
    CoTrack LIB = Native.load("cotrack", CoTrack.class,
        Map.of(Library.OPTION_STRING_ENCODING, "UTF-8"));

    String cotrack_code_name(int code);
    void cotrack_free(Pointer ptr);
    int cotrack_open(String path, Pointer options, PointerByReference db, PointerByReference err);
    void cotrack_close(Pointer db);
    int cotrack_register_patient(Pointer db, String id, String arm, String indexDate,
        String[] keys, String[] values, long count, Pointer summary, PointerByReference err);
    int cotrack_record(Pointer db, String patient, String measure, String time, double value,
        String unit, Pointer summary, PointerByReference err);
    int cotrack_visit_create(String patient, String time, String label, PointerByReference visit,
        PointerByReference err);
    void cotrack_visit_destroy(Pointer visit);
    int cotrack_visit_add(Pointer visit, String measure, double value, String unit,
        PointerByReference err);
    int cotrack_visit_commit(Pointer db, Pointer visit, Pointer summary, PointerByReference err);
    int cotrack_trajectory(Pointer db, String patient, String measure, String from, String to,
        PointerByReference out, PointerByReference err);
    int cotrack_latest(Pointer db, String patient, String measure, String asOf, int n,
        PointerByReference out, PointerByReference err);
    void cotrack_observations_destroy(Pointer rows);
    long cotrack_observations_count(Pointer rows);
    String cotrack_observations_time(Pointer rows, long i);
    double cotrack_observations_value(Pointer rows, long i);
    String cotrack_observations_unit(Pointer rows, long i);
    String cotrack_observations_original_value(Pointer rows, long i);
    String cotrack_observations_original_unit(Pointer rows, long i);
  }

  static final CoTrack ct = CoTrack.LIB;

  /** Throws for a failed call, after freeing its message (the caller owns it). */
  static void check(int code, PointerByReference err) {
    if (code == 0) return;
    Pointer message = err.getValue();
    String text = message.getString(0, "UTF-8");
    ct.cotrack_free(message);
    throw new IllegalStateException(ct.cotrack_code_name(code) + ": " + text);
  }

  /** As C's %g prints these values: 4, 3.5. */
  static String g(double value) {
    return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
  }

  static void run(String path) {
    PointerByReference err = new PointerByReference();
    PointerByReference out = new PointerByReference();
    check(ct.cotrack_open(path, null, out, err), err);
    Pointer db = out.getValue();
    try {
      check(ct.cotrack_register_patient(db, "P01", "HSCT", "2024-01-10", new String[] {"sex"},
          new String[] {"F"}, 1, null, err), err);

      // A single observation, then a whole visit committed atomically.
      check(ct.cotrack_record(db, "P01", "edss", "2024-01-05", 4.0, null, null, err), err);
      check(ct.cotrack_visit_create("P01", "2024-07-09", "M6", out, err), err);
      Pointer visit = out.getValue();
      try {
        check(ct.cotrack_visit_add(visit, "edss", 3.5, null, err), err);
        check(ct.cotrack_visit_add(visit, "hba1c", 48, "mmol/mol", err), err);
        check(ct.cotrack_visit_commit(db, visit, null, err), err);
      } finally {
        ct.cotrack_visit_destroy(visit);
      }

      check(ct.cotrack_trajectory(db, "P01", "edss", null, null, out, err), err);
      Pointer rows = out.getValue();
      try {
        for (long i = 0; i < ct.cotrack_observations_count(rows); i++) {
          System.out.println("P01 edss " + ct.cotrack_observations_time(rows, i) + " "
              + g(ct.cotrack_observations_value(rows, i)));
        }
      } finally {
        ct.cotrack_observations_destroy(rows);
      }

      check(ct.cotrack_latest(db, "P01", "hba1c", null, 1, out, err), err);
      rows = out.getValue();
      try {
        if (ct.cotrack_observations_count(rows) == 1) {
          System.out.println(String.format(Locale.ROOT,
              "P01 hba1c latest %s %.2f %s (entered %s %s)", ct.cotrack_observations_time(rows, 0),
              ct.cotrack_observations_value(rows, 0), ct.cotrack_observations_unit(rows, 0),
              ct.cotrack_observations_original_value(rows, 0),
              ct.cotrack_observations_original_unit(rows, 0)));
        }
      } finally {
        ct.cotrack_observations_destroy(rows);
      }
    } finally {
      ct.cotrack_close(db);
    }
  }

  public static void main(String[] args) {
    try {
      run(args.length > 0 ? args[0] : "clinic.cotrack");
    } catch (IllegalStateException e) {
      System.err.println(e.getMessage());
      System.exit(1);
    }
  }
}
