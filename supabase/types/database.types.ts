export type Json =
  | string
  | number
  | boolean
  | null
  | { [key: string]: Json | undefined }
  | Json[]

export type Database = {
  public: {
    Tables: {
      music_video_alerts: {
        Row: {
          created_at: string
          dedupe_key: string
          detail: NonNullable<Json>
          id: string
          import_id: string | null
          kind: string
          link_path: string
          metric_id: string | null
          music_video_id: string
          occurred_at: string
          platform: Database["public"]["Enums"]["platform_enum"] | null
          read_at: string | null
          release_id: string
          source: string | null
          title: string
          updated_at: string
        }
        Insert: {
          created_at?: string
          dedupe_key: string
          detail?: NonNullable<Json>
          id?: string
          import_id?: string | null
          kind: string
          link_path: string
          metric_id?: string | null
          music_video_id: string
          occurred_at: string
          platform?: Database["public"]["Enums"]["platform_enum"] | null
          read_at?: string | null
          release_id: string
          source?: string | null
          title: string
          updated_at?: string
        }
        Update: {
          created_at?: string
          dedupe_key?: string
          detail?: NonNullable<Json>
          id?: string
          import_id?: string | null
          kind?: string
          link_path?: string
          metric_id?: string | null
          music_video_id?: string
          occurred_at?: string
          platform?: Database["public"]["Enums"]["platform_enum"] | null
          read_at?: string | null
          release_id?: string
          source?: string | null
          title?: string
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "music_video_alerts_import_id_fkey"
            columns: ["import_id"]
            referencedRelation: "music_video_metric_imports"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "music_video_alerts_metric_id_fkey"
            columns: ["metric_id"]
            referencedRelation: "music_video_metrics"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "music_video_alerts_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_video_budget_variance"
            referencedColumns: ["music_video_id"]
          },
          {
            foreignKeyName: "music_video_alerts_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_videos"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "music_video_alerts_release_id_fkey"
            columns: ["release_id"]
            referencedRelation: "releases"
            referencedColumns: ["id"]
          },
        ]
      }
      music_video_art_styles: {
        Row: {
          camera_techniques: string | null
          color_palette: NonNullable<Json>
          created_at: string
          id: string
          lighting_profile: string | null
          moodboard_url: string | null
          name: string
          updated_at: string
        }
        Insert: {
          camera_techniques?: string | null
          color_palette?: NonNullable<Json>
          created_at?: string
          id?: string
          lighting_profile?: string | null
          moodboard_url?: string | null
          name: string
          updated_at?: string
        }
        Update: {
          camera_techniques?: string | null
          color_palette?: NonNullable<Json>
          created_at?: string
          id?: string
          lighting_profile?: string | null
          moodboard_url?: string | null
          name?: string
          updated_at?: string
        }
        Relationships: []
      }
      music_video_budget_line_items: {
        Row: {
          actual_amount: number
          amount: number
          category: string
          created_at: string
          id: string
          music_video_id: string
          notes: string | null
          updated_at: string
        }
        Insert: {
          actual_amount?: number
          amount: number
          category: string
          created_at?: string
          id?: string
          music_video_id: string
          notes?: string | null
          updated_at?: string
        }
        Update: {
          actual_amount?: number
          amount?: number
          category?: string
          created_at?: string
          id?: string
          music_video_id?: string
          notes?: string | null
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "music_video_budget_line_items_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_video_budget_variance"
            referencedColumns: ["music_video_id"]
          },
          {
            foreignKeyName: "music_video_budget_line_items_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_videos"
            referencedColumns: ["id"]
          },
        ]
      }
      music_video_budgets: {
        Row: {
          created_at: string
          currency_code: string
          default_quality_tier:
            | Database["public"]["Enums"]["quality_tier_enum"]
            | null
          id: string
          max_cost: number
          min_cost: number
          name: string
          updated_at: string
        }
        Insert: {
          created_at?: string
          currency_code?: string
          default_quality_tier?:
            | Database["public"]["Enums"]["quality_tier_enum"]
            | null
          id?: string
          max_cost: number
          min_cost: number
          name: string
          updated_at?: string
        }
        Update: {
          created_at?: string
          currency_code?: string
          default_quality_tier?:
            | Database["public"]["Enums"]["quality_tier_enum"]
            | null
          id?: string
          max_cost?: number
          min_cost?: number
          name?: string
          updated_at?: string
        }
        Relationships: []
      }
      music_video_cast_assignments: {
        Row: {
          cast_option_id: string
          confirmed: boolean
          cost_estimate: number | null
          created_at: string
          id: string
          music_video_id: string
          notes: string | null
          role_override: string | null
          updated_at: string
        }
        Insert: {
          cast_option_id: string
          confirmed?: boolean
          cost_estimate?: number | null
          created_at?: string
          id?: string
          music_video_id: string
          notes?: string | null
          role_override?: string | null
          updated_at?: string
        }
        Update: {
          cast_option_id?: string
          confirmed?: boolean
          cost_estimate?: number | null
          created_at?: string
          id?: string
          music_video_id?: string
          notes?: string | null
          role_override?: string | null
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "music_video_cast_assignments_cast_option_id_fkey"
            columns: ["cast_option_id"]
            referencedRelation: "music_video_cast_options"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "music_video_cast_assignments_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_video_budget_variance"
            referencedColumns: ["music_video_id"]
          },
          {
            foreignKeyName: "music_video_cast_assignments_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_videos"
            referencedColumns: ["id"]
          },
        ]
      }
      music_video_cast_options: {
        Row: {
          availability: NonNullable<Json>
          cost_multiplier: number
          created_at: string
          id: string
          name: string
          requires_union: boolean
          role: string
          updated_at: string
        }
        Insert: {
          availability?: NonNullable<Json>
          cost_multiplier?: number
          created_at?: string
          id?: string
          name: string
          requires_union?: boolean
          role: string
          updated_at?: string
        }
        Update: {
          availability?: NonNullable<Json>
          cost_multiplier?: number
          created_at?: string
          id?: string
          name?: string
          requires_union?: boolean
          role?: string
          updated_at?: string
        }
        Relationships: []
      }
      music_video_chart_positions: {
        Row: {
          chart: string
          chart_rank: number
          created_at: string
          deleted_at: string | null
          feed_peak_rank: number | null
          feed_previous_rank: number | null
          feed_weeks_on_chart: number | null
          id: string
          import_batch_id: string | null
          matched_by: string | null
          music_video_id: string
          updated_at: string
          week_start: string
        }
        Insert: {
          chart: string
          chart_rank: number
          created_at?: string
          deleted_at?: string | null
          feed_peak_rank?: number | null
          feed_previous_rank?: number | null
          feed_weeks_on_chart?: number | null
          id?: string
          import_batch_id?: string | null
          matched_by?: string | null
          music_video_id: string
          updated_at?: string
          week_start: string
        }
        Update: {
          chart?: string
          chart_rank?: number
          created_at?: string
          deleted_at?: string | null
          feed_peak_rank?: number | null
          feed_previous_rank?: number | null
          feed_weeks_on_chart?: number | null
          id?: string
          import_batch_id?: string | null
          matched_by?: string | null
          music_video_id?: string
          updated_at?: string
          week_start?: string
        }
        Relationships: [
          {
            foreignKeyName: "music_video_chart_positions_chart_fkey"
            columns: ["chart"]
            referencedRelation: "music_video_chart_sources"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "music_video_chart_positions_import_batch_id_fkey"
            columns: ["import_batch_id"]
            referencedRelation: "music_video_metric_imports"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "music_video_chart_positions_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_video_budget_variance"
            referencedColumns: ["music_video_id"]
          },
          {
            foreignKeyName: "music_video_chart_positions_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_videos"
            referencedColumns: ["id"]
          },
        ]
      }
      music_video_chart_sources: {
        Row: {
          created_at: string
          id: string
          label: string
          provider: string
          updated_at: string
        }
        Insert: {
          created_at?: string
          id: string
          label: string
          provider: string
          updated_at?: string
        }
        Update: {
          created_at?: string
          id?: string
          label?: string
          provider?: string
          updated_at?: string
        }
        Relationships: []
      }
      music_video_events: {
        Row: {
          created_at: string
          dedupe_key: string | null
          event: string
          id: string
          music_video_id: string | null
          payload: NonNullable<Json>
        }
        Insert: {
          created_at?: string
          dedupe_key?: string | null
          event: string
          id?: string
          music_video_id?: string | null
          payload?: NonNullable<Json>
        }
        Update: {
          created_at?: string
          dedupe_key?: string | null
          event?: string
          id?: string
          music_video_id?: string | null
          payload?: NonNullable<Json>
        }
        Relationships: [
          {
            foreignKeyName: "music_video_events_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_video_budget_variance"
            referencedColumns: ["music_video_id"]
          },
          {
            foreignKeyName: "music_video_events_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_videos"
            referencedColumns: ["id"]
          },
        ]
      }
      music_video_import_row_errors: {
        Row: {
          column_name: string | null
          created_at: string
          id: number
          import_id: string
          line: number
          music_video_id: string | null
          raw_value: string | null
          reason: string
        }
        Insert: {
          column_name?: string | null
          created_at?: string
          id?: never
          import_id: string
          line: number
          music_video_id?: string | null
          raw_value?: string | null
          reason: string
        }
        Update: {
          column_name?: string | null
          created_at?: string
          id?: never
          import_id?: string
          line?: number
          music_video_id?: string | null
          raw_value?: string | null
          reason?: string
        }
        Relationships: [
          {
            foreignKeyName: "music_video_import_row_errors_import_id_fkey"
            columns: ["import_id"]
            referencedRelation: "music_video_metric_imports"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "music_video_import_row_errors_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_video_budget_variance"
            referencedColumns: ["music_video_id"]
          },
          {
            foreignKeyName: "music_video_import_row_errors_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_videos"
            referencedColumns: ["id"]
          },
        ]
      }
      music_video_metric_imports: {
        Row: {
          attempts: number
          completed_at: string | null
          created_at: string
          dedupe_key: string | null
          error_message: string | null
          heartbeat_at: string | null
          id: string
          locked_by: string | null
          locked_until: string | null
          max_attempts: number
          metadata: NonNullable<Json>
          music_video_id: string | null
          platform: Database["public"]["Enums"]["platform_enum"] | null
          run_after: string
          source: string
          started_at: string | null
          status: Database["public"]["Enums"]["import_status_enum"]
          triggered_by: string | null
          updated_at: string
        }
        Insert: {
          attempts?: number
          completed_at?: string | null
          created_at?: string
          dedupe_key?: string | null
          error_message?: string | null
          heartbeat_at?: string | null
          id?: string
          locked_by?: string | null
          locked_until?: string | null
          max_attempts?: number
          metadata?: NonNullable<Json>
          music_video_id?: string | null
          platform?: Database["public"]["Enums"]["platform_enum"] | null
          run_after?: string
          source: string
          started_at?: string | null
          status?: Database["public"]["Enums"]["import_status_enum"]
          triggered_by?: string | null
          updated_at?: string
        }
        Update: {
          attempts?: number
          completed_at?: string | null
          created_at?: string
          dedupe_key?: string | null
          error_message?: string | null
          heartbeat_at?: string | null
          id?: string
          locked_by?: string | null
          locked_until?: string | null
          max_attempts?: number
          metadata?: NonNullable<Json>
          music_video_id?: string | null
          platform?: Database["public"]["Enums"]["platform_enum"] | null
          run_after?: string
          source?: string
          started_at?: string | null
          status?: Database["public"]["Enums"]["import_status_enum"]
          triggered_by?: string | null
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "music_video_metric_imports_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_video_budget_variance"
            referencedColumns: ["music_video_id"]
          },
          {
            foreignKeyName: "music_video_metric_imports_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_videos"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "music_video_metric_imports_triggered_by_fkey"
            columns: ["triggered_by"]
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
        ]
      }
      music_video_metric_overrides: {
        Row: {
          changed_at: string
          changed_by: string | null
          id: string
          metric_id: string
          music_video_id: string
          new: NonNullable<Json>
          previous: NonNullable<Json>
          reason: string
        }
        Insert: {
          changed_at?: string
          changed_by?: string | null
          id?: string
          metric_id: string
          music_video_id: string
          new: NonNullable<Json>
          previous: NonNullable<Json>
          reason: string
        }
        Update: {
          changed_at?: string
          changed_by?: string | null
          id?: string
          metric_id?: string
          music_video_id?: string
          new?: NonNullable<Json>
          previous?: NonNullable<Json>
          reason?: string
        }
        Relationships: [
          {
            foreignKeyName: "music_video_metric_overrides_metric_id_fkey"
            columns: ["metric_id"]
            referencedRelation: "music_video_metrics"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "music_video_metric_overrides_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_video_budget_variance"
            referencedColumns: ["music_video_id"]
          },
          {
            foreignKeyName: "music_video_metric_overrides_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_videos"
            referencedColumns: ["id"]
          },
        ]
      }
      music_video_metrics: {
        Row: {
          chart_position: number | null
          collected_at: string
          comments_total: number | null
          created_at: string
          deleted_at: string | null
          detail: NonNullable<Json>
          external_reference: string | null
          favorites_total: number | null
          flags: string[]
          id: string
          import_batch_id: string | null
          likes_total: number | null
          music_video_id: string
          platform: Database["public"]["Enums"]["platform_enum"]
          shares_total: number | null
          source: string | null
          synced_at: string
          updated_at: string
          views_total: number | null
        }
        Insert: {
          chart_position?: number | null
          collected_at: string
          comments_total?: number | null
          created_at?: string
          deleted_at?: string | null
          detail?: NonNullable<Json>
          external_reference?: string | null
          favorites_total?: number | null
          flags?: string[]
          id?: string
          import_batch_id?: string | null
          likes_total?: number | null
          music_video_id: string
          platform: Database["public"]["Enums"]["platform_enum"]
          shares_total?: number | null
          source?: string | null
          synced_at?: string
          updated_at?: string
          views_total?: number | null
        }
        Update: {
          chart_position?: number | null
          collected_at?: string
          comments_total?: number | null
          created_at?: string
          deleted_at?: string | null
          detail?: NonNullable<Json>
          external_reference?: string | null
          favorites_total?: number | null
          flags?: string[]
          id?: string
          import_batch_id?: string | null
          likes_total?: number | null
          music_video_id?: string
          platform?: Database["public"]["Enums"]["platform_enum"]
          shares_total?: number | null
          source?: string | null
          synced_at?: string
          updated_at?: string
          views_total?: number | null
        }
        Relationships: [
          {
            foreignKeyName: "music_video_metrics_import_batch_id_fkey"
            columns: ["import_batch_id"]
            referencedRelation: "music_video_metric_imports"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "music_video_metrics_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_video_budget_variance"
            referencedColumns: ["music_video_id"]
          },
          {
            foreignKeyName: "music_video_metrics_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_videos"
            referencedColumns: ["id"]
          },
        ]
      }
      music_video_milestones: {
        Row: {
          created_at: string
          created_by: string | null
          done: boolean
          done_at: string | null
          done_by: string | null
          due_date: string
          id: string
          kind: Database["public"]["Enums"]["music_video_milestone_kind"]
          label: string | null
          music_video_id: string
          owner_id: string | null
          updated_at: string
        }
        Insert: {
          created_at?: string
          created_by?: string | null
          done?: boolean
          done_at?: string | null
          done_by?: string | null
          due_date: string
          id?: string
          kind: Database["public"]["Enums"]["music_video_milestone_kind"]
          label?: string | null
          music_video_id: string
          owner_id?: string | null
          updated_at?: string
        }
        Update: {
          created_at?: string
          created_by?: string | null
          done?: boolean
          done_at?: string | null
          done_by?: string | null
          due_date?: string
          id?: string
          kind?: Database["public"]["Enums"]["music_video_milestone_kind"]
          label?: string | null
          music_video_id?: string
          owner_id?: string | null
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "music_video_milestones_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_video_budget_variance"
            referencedColumns: ["music_video_id"]
          },
          {
            foreignKeyName: "music_video_milestones_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_videos"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "music_video_milestones_owner_id_fkey"
            columns: ["owner_id"]
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
        ]
      }
      music_video_moodboards: {
        Row: {
          caption: string | null
          check_error: string | null
          check_status: string
          checked_at: string | null
          created_at: string
          id: string
          music_video_id: string
          storage_path: string
          updated_at: string
        }
        Insert: {
          caption?: string | null
          check_error?: string | null
          check_status?: string
          checked_at?: string | null
          created_at?: string
          id?: string
          music_video_id: string
          storage_path: string
          updated_at?: string
        }
        Update: {
          caption?: string | null
          check_error?: string | null
          check_status?: string
          checked_at?: string | null
          created_at?: string
          id?: string
          music_video_id?: string
          storage_path?: string
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "music_video_moodboards_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_video_budget_variance"
            referencedColumns: ["music_video_id"]
          },
          {
            foreignKeyName: "music_video_moodboards_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_videos"
            referencedColumns: ["id"]
          },
        ]
      }
      music_video_platform_targets: {
        Row: {
          auto_sync: boolean
          created_at: string
          external_id: string | null
          id: string
          launch_url: string | null
          music_video_id: string
          platform: Database["public"]["Enums"]["platform_enum"]
          priority: number | null
          updated_at: string
        }
        Insert: {
          auto_sync?: boolean
          created_at?: string
          external_id?: string | null
          id?: string
          launch_url?: string | null
          music_video_id: string
          platform: Database["public"]["Enums"]["platform_enum"]
          priority?: number | null
          updated_at?: string
        }
        Update: {
          auto_sync?: boolean
          created_at?: string
          external_id?: string | null
          id?: string
          launch_url?: string | null
          music_video_id?: string
          platform?: Database["public"]["Enums"]["platform_enum"]
          priority?: number | null
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "music_video_platform_targets_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_video_budget_variance"
            referencedColumns: ["music_video_id"]
          },
          {
            foreignKeyName: "music_video_platform_targets_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_videos"
            referencedColumns: ["id"]
          },
        ]
      }
      music_video_promo_events: {
        Row: {
          cancelled_at: string | null
          cancelled_by: string | null
          created_at: string
          created_by: string | null
          id: string
          kind: Database["public"]["Enums"]["music_video_promo_kind"]
          link: string | null
          music_video_id: string
          notes: string | null
          platform: Database["public"]["Enums"]["platform_enum"]
          starts_at: string
          time_zone: string
          updated_at: string
        }
        Insert: {
          cancelled_at?: string | null
          cancelled_by?: string | null
          created_at?: string
          created_by?: string | null
          id?: string
          kind: Database["public"]["Enums"]["music_video_promo_kind"]
          link?: string | null
          music_video_id: string
          notes?: string | null
          platform: Database["public"]["Enums"]["platform_enum"]
          starts_at: string
          time_zone: string
          updated_at?: string
        }
        Update: {
          cancelled_at?: string | null
          cancelled_by?: string | null
          created_at?: string
          created_by?: string | null
          id?: string
          kind?: Database["public"]["Enums"]["music_video_promo_kind"]
          link?: string | null
          music_video_id?: string
          notes?: string | null
          platform?: Database["public"]["Enums"]["platform_enum"]
          starts_at?: string
          time_zone?: string
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "music_video_promo_events_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_video_budget_variance"
            referencedColumns: ["music_video_id"]
          },
          {
            foreignKeyName: "music_video_promo_events_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_videos"
            referencedColumns: ["id"]
          },
        ]
      }
      music_video_quality_tiers: {
        Row: {
          created_at: string
          crew_size_hint: number | null
          description: string | null
          expected_turnaround: string | null
          id: string
          tier: Database["public"]["Enums"]["quality_tier_enum"]
          updated_at: string
        }
        Insert: {
          created_at?: string
          crew_size_hint?: number | null
          description?: string | null
          expected_turnaround?: string | null
          id?: string
          tier: Database["public"]["Enums"]["quality_tier_enum"]
          updated_at?: string
        }
        Update: {
          created_at?: string
          crew_size_hint?: number | null
          description?: string | null
          expected_turnaround?: string | null
          id?: string
          tier?: Database["public"]["Enums"]["quality_tier_enum"]
          updated_at?: string
        }
        Relationships: []
      }
      music_video_settings: {
        Row: {
          created_at: string
          description: string | null
          key: string
          updated_at: string
          value: NonNullable<Json>
        }
        Insert: {
          created_at?: string
          description?: string | null
          key: string
          updated_at?: string
          value: NonNullable<Json>
        }
        Update: {
          created_at?: string
          description?: string | null
          key?: string
          updated_at?: string
          value?: NonNullable<Json>
        }
        Relationships: []
      }
      music_video_shot_cast: {
        Row: {
          cast_assignment_id: string
          created_at: string
          music_video_id: string
          shot_id: string
        }
        Insert: {
          cast_assignment_id: string
          created_at?: string
          music_video_id: string
          shot_id: string
        }
        Update: {
          cast_assignment_id?: string
          created_at?: string
          music_video_id?: string
          shot_id?: string
        }
        Relationships: [
          {
            foreignKeyName: "music_video_shot_cast_assignment_fkey"
            columns: ["cast_assignment_id", "music_video_id"]
            referencedRelation: "music_video_cast_assignments"
            referencedColumns: ["id", "music_video_id"]
          },
          {
            foreignKeyName: "music_video_shot_cast_shot_fkey"
            columns: ["shot_id", "music_video_id"]
            referencedRelation: "music_video_shots"
            referencedColumns: ["id", "music_video_id"]
          },
        ]
      }
      music_video_shots: {
        Row: {
          angle: string | null
          created_at: string
          description: string
          duration_seconds: number | null
          id: string
          lens: string | null
          location: string | null
          movement: string | null
          music_video_id: string
          scene: string | null
          shot_number: number
          shot_size: Database["public"]["Enums"]["shot_size_enum"] | null
          status: Database["public"]["Enums"]["shot_status_enum"]
          updated_at: string
        }
        Insert: {
          angle?: string | null
          created_at?: string
          description: string
          duration_seconds?: number | null
          id?: string
          lens?: string | null
          location?: string | null
          movement?: string | null
          music_video_id: string
          scene?: string | null
          shot_number: number
          shot_size?: Database["public"]["Enums"]["shot_size_enum"] | null
          status?: Database["public"]["Enums"]["shot_status_enum"]
          updated_at?: string
        }
        Update: {
          angle?: string | null
          created_at?: string
          description?: string
          duration_seconds?: number | null
          id?: string
          lens?: string | null
          location?: string | null
          movement?: string | null
          music_video_id?: string
          scene?: string | null
          shot_number?: number
          shot_size?: Database["public"]["Enums"]["shot_size_enum"] | null
          status?: Database["public"]["Enums"]["shot_status_enum"]
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "music_video_shots_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_video_budget_variance"
            referencedColumns: ["music_video_id"]
          },
          {
            foreignKeyName: "music_video_shots_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_videos"
            referencedColumns: ["id"]
          },
        ]
      }
      music_video_status_history: {
        Row: {
          changed_at: string
          changed_by: string | null
          from_status: Database["public"]["Enums"]["video_status_enum"] | null
          id: string
          music_video_id: string
          to_status: Database["public"]["Enums"]["video_status_enum"]
        }
        Insert: {
          changed_at?: string
          changed_by?: string | null
          from_status?: Database["public"]["Enums"]["video_status_enum"] | null
          id?: string
          music_video_id: string
          to_status: Database["public"]["Enums"]["video_status_enum"]
        }
        Update: {
          changed_at?: string
          changed_by?: string | null
          from_status?: Database["public"]["Enums"]["video_status_enum"] | null
          id?: string
          music_video_id?: string
          to_status?: Database["public"]["Enums"]["video_status_enum"]
        }
        Relationships: [
          {
            foreignKeyName: "music_video_status_history_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_video_budget_variance"
            referencedColumns: ["music_video_id"]
          },
          {
            foreignKeyName: "music_video_status_history_music_video_id_fkey"
            columns: ["music_video_id"]
            referencedRelation: "music_videos"
            referencedColumns: ["id"]
          },
        ]
      }
      music_video_themes: {
        Row: {
          created_at: string
          description: string | null
          genre_tags: string[]
          id: string
          name: string
          updated_at: string
          visual_motifs: NonNullable<Json>
        }
        Insert: {
          created_at?: string
          description?: string | null
          genre_tags?: string[]
          id?: string
          name: string
          updated_at?: string
          visual_motifs?: NonNullable<Json>
        }
        Update: {
          created_at?: string
          description?: string | null
          genre_tags?: string[]
          id?: string
          name?: string
          updated_at?: string
          visual_motifs?: NonNullable<Json>
        }
        Relationships: []
      }
      music_videos: {
        Row: {
          apple_music_id: string | null
          art_style_id: string | null
          artist_name: string | null
          budget_band_id: string | null
          budget_estimate: number | null
          created_at: string
          created_by: string | null
          id: string
          isrc: string | null
          kpi_chart_target: string | null
          kpi_view_target: number | null
          narrative_outline: string | null
          primary_platform: Database["public"]["Enums"]["platform_enum"] | null
          promo_only: boolean
          quality_tier: Database["public"]["Enums"]["quality_tier_enum"] | null
          release_id: string
          shoot_end_date: string | null
          shoot_start_date: string | null
          slug: string | null
          spotify_track_uri: string | null
          status: Database["public"]["Enums"]["video_status_enum"]
          submitted_at: string | null
          sync_strategy: Database["public"]["Enums"]["sync_strategy_enum"]
          target_release_date: string | null
          title: string | null
          updated_at: string
          video_theme_id: string | null
          wizard_state: NonNullable<Json>
          wizard_step: string | null
        }
        Insert: {
          apple_music_id?: string | null
          art_style_id?: string | null
          artist_name?: string | null
          budget_band_id?: string | null
          budget_estimate?: number | null
          created_at?: string
          created_by?: string | null
          id?: string
          isrc?: string | null
          kpi_chart_target?: string | null
          kpi_view_target?: number | null
          narrative_outline?: string | null
          primary_platform?: Database["public"]["Enums"]["platform_enum"] | null
          promo_only?: boolean
          quality_tier?: Database["public"]["Enums"]["quality_tier_enum"] | null
          release_id: string
          shoot_end_date?: string | null
          shoot_start_date?: string | null
          slug?: string | null
          spotify_track_uri?: string | null
          status?: Database["public"]["Enums"]["video_status_enum"]
          submitted_at?: string | null
          sync_strategy?: Database["public"]["Enums"]["sync_strategy_enum"]
          target_release_date?: string | null
          title?: string | null
          updated_at?: string
          video_theme_id?: string | null
          wizard_state?: NonNullable<Json>
          wizard_step?: string | null
        }
        Update: {
          apple_music_id?: string | null
          art_style_id?: string | null
          artist_name?: string | null
          budget_band_id?: string | null
          budget_estimate?: number | null
          created_at?: string
          created_by?: string | null
          id?: string
          isrc?: string | null
          kpi_chart_target?: string | null
          kpi_view_target?: number | null
          narrative_outline?: string | null
          primary_platform?: Database["public"]["Enums"]["platform_enum"] | null
          promo_only?: boolean
          quality_tier?: Database["public"]["Enums"]["quality_tier_enum"] | null
          release_id?: string
          shoot_end_date?: string | null
          shoot_start_date?: string | null
          slug?: string | null
          spotify_track_uri?: string | null
          status?: Database["public"]["Enums"]["video_status_enum"]
          submitted_at?: string | null
          sync_strategy?: Database["public"]["Enums"]["sync_strategy_enum"]
          target_release_date?: string | null
          title?: string | null
          updated_at?: string
          video_theme_id?: string | null
          wizard_state?: NonNullable<Json>
          wizard_step?: string | null
        }
        Relationships: [
          {
            foreignKeyName: "music_videos_art_style_id_fkey"
            columns: ["art_style_id"]
            referencedRelation: "music_video_art_styles"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "music_videos_budget_band_id_fkey"
            columns: ["budget_band_id"]
            referencedRelation: "music_video_budgets"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "music_videos_kpi_chart_target_fkey"
            columns: ["kpi_chart_target"]
            referencedRelation: "music_video_chart_sources"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "music_videos_release_id_fkey"
            columns: ["release_id"]
            referencedRelation: "releases"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "music_videos_video_theme_id_fkey"
            columns: ["video_theme_id"]
            referencedRelation: "music_video_themes"
            referencedColumns: ["id"]
          },
        ]
      }
      profiles: {
        Row: {
          full_name: string | null
          id: string
        }
        Insert: {
          full_name?: string | null
          id: string
        }
        Update: {
          full_name?: string | null
          id?: string
        }
        Relationships: []
      }
      release_profiles: {
        Row: {
          genre: string | null
          release_id: string
        }
        Insert: {
          genre?: string | null
          release_id: string
        }
        Update: {
          genre?: string | null
          release_id?: string
        }
        Relationships: [
          {
            foreignKeyName: "release_profiles_release_id_fkey"
            columns: ["release_id"]
            referencedRelation: "releases"
            referencedColumns: ["id"]
          },
        ]
      }
      releases: {
        Row: {
          id: string
          title: string | null
          user_id: string
        }
        Insert: {
          id?: string
          title?: string | null
          user_id: string
        }
        Update: {
          id?: string
          title?: string | null
          user_id?: string
        }
        Relationships: []
      }
    }
    Views: {
      music_video_budget_variance: {
        Row: {
          actual_variance: number | null
          actual_variance_pct: number | null
          budget_band: string | null
          budget_estimate: number | null
          budget_variance: number | null
          budget_variance_pct: number | null
          cast_cost: number | null
          currency_code: string | null
          line_variances: Json | null
          max_cost: number | null
          min_cost: number | null
          music_video_id: string | null
          quality_tier: Database["public"]["Enums"]["quality_tier_enum"] | null
          release_id: string | null
          status: Database["public"]["Enums"]["video_status_enum"] | null
          title: string | null
          total_actual: number | null
          total_allocation: number | null
        }
        Relationships: [
          {
            foreignKeyName: "music_videos_release_id_fkey"
            columns: ["release_id"]
            referencedRelation: "releases"
            referencedColumns: ["id"]
          },
        ]
      }
    }
    Functions: {
      add_music_video_milestone: {
        Args: {
          due_date: string
          kind: Database["public"]["Enums"]["music_video_milestone_kind"]
          label?: string
          music_video_id: string
          owner_id?: string
        }
        Returns: {
          created_at: string
          created_by: string | null
          done: boolean
          done_at: string | null
          done_by: string | null
          due_date: string
          id: string
          kind: Database["public"]["Enums"]["music_video_milestone_kind"]
          label: string | null
          music_video_id: string
          owner_id: string | null
          updated_at: string
        }
        SetofOptions: {
          from: "*"
          to: "music_video_milestones"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      add_music_video_shot: {
        Args: {
          angle?: string
          cast_assignment_ids?: Json
          description: string
          duration_seconds?: number
          lens?: string
          location?: string
          movement?: string
          music_video_id: string
          scene?: string
          shot_number?: number
          shot_size?: Database["public"]["Enums"]["shot_size_enum"]
          status?: Database["public"]["Enums"]["shot_status_enum"]
        }
        Returns: Database["public"]["CompositeTypes"]["music_video_shot_list"]
        SetofOptions: {
          from: "*"
          to: "music_video_shot_list"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      assign_music_video_cast: {
        Args: {
          cast_option_id: string
          confirmed?: boolean
          cost_estimate?: number
          music_video_id: string
          notes?: string
          role?: string
        }
        Returns: Json
      }
      cancel_music_video_promo: {
        Args: { id: string }
        Returns: {
          cancelled_at: string | null
          cancelled_by: string | null
          created_at: string
          created_by: string | null
          id: string
          kind: Database["public"]["Enums"]["music_video_promo_kind"]
          link: string | null
          music_video_id: string
          notes: string | null
          platform: Database["public"]["Enums"]["platform_enum"]
          starts_at: string
          time_zone: string
          updated_at: string
        }
        SetofOptions: {
          from: "*"
          to: "music_video_promo_events"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      complete_music_video_milestone: {
        Args: { done?: boolean; id: string }
        Returns: {
          created_at: string
          created_by: string | null
          done: boolean
          done_at: string | null
          done_by: string | null
          due_date: string
          id: string
          kind: Database["public"]["Enums"]["music_video_milestone_kind"]
          label: string | null
          music_video_id: string
          owner_id: string | null
          updated_at: string
        }
        SetofOptions: {
          from: "*"
          to: "music_video_milestones"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      create_music_video: {
        Args: {
          apple_music_id?: string
          art_style_id: string
          artist_name?: string
          budget_band_id: string
          budget_estimate?: number
          cast_assignments?: Json
          isrc?: string
          kpi_chart_target?: string
          kpi_view_target?: number
          line_items?: Json
          narrative_outline?: string
          platform_targets: Json
          primary_platform?: Database["public"]["Enums"]["platform_enum"]
          promo_only?: boolean
          quality_tier: Database["public"]["Enums"]["quality_tier_enum"]
          release_id: string
          shoot_end_date?: string
          shoot_start_date?: string
          slug?: string
          spotify_track_uri?: string
          sync_strategy?: Database["public"]["Enums"]["sync_strategy_enum"]
          target_release_date: string
          title: string
          video_theme_id: string
        }
        Returns: Database["public"]["CompositeTypes"]["music_video_panel"]
        SetofOptions: {
          from: "*"
          to: "music_video_panel"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      delete_music_video: {
        Args: { id: string }
        Returns: Database["public"]["CompositeTypes"]["music_video_deletion"]
        SetofOptions: {
          from: "*"
          to: "music_video_deletion"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      get_music_video: {
        Args: { id: string }
        Returns: Database["public"]["CompositeTypes"]["music_video_panel"][]
        SetofOptions: {
          from: "*"
          to: "music_video_panel"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      get_music_video_shots: {
        Args: { music_video_id: string }
        Returns: Database["public"]["CompositeTypes"]["music_video_shot_row"][]
        SetofOptions: {
          from: "*"
          to: "music_video_shot_row"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      import_broadcast_metrics: {
        Args: {
          mapping: Json
          music_video_id: string
          object_path: string
          platform: Database["public"]["Enums"]["platform_enum"]
        }
        Returns: string
      }
      list_music_video_sync_plans: {
        Args: { nights?: number }
        Returns: Database["public"]["CompositeTypes"]["music_video_sync_plan"][]
        SetofOptions: {
          from: "*"
          to: "music_video_sync_plan"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      list_music_videos: {
        Args: {
          cursor?: string
          page_size?: number
          release_id: string
          search?: string
          status?: Database["public"]["Enums"]["video_status_enum"][]
        }
        Returns: Database["public"]["CompositeTypes"]["music_video_card"][]
        SetofOptions: {
          from: "*"
          to: "music_video_card"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      mark_music_video_alert_read: {
        Args: { id: string; read?: boolean }
        Returns: {
          created_at: string
          dedupe_key: string
          detail: NonNullable<Json>
          id: string
          import_id: string | null
          kind: string
          link_path: string
          metric_id: string | null
          music_video_id: string
          occurred_at: string
          platform: Database["public"]["Enums"]["platform_enum"] | null
          read_at: string | null
          release_id: string
          source: string | null
          title: string
          updated_at: string
        }
        SetofOptions: {
          from: "*"
          to: "music_video_alerts"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      move_music_video_promo: {
        Args: { id: string; starts_at: string; time_zone?: string }
        Returns: {
          cancelled_at: string | null
          cancelled_by: string | null
          created_at: string
          created_by: string | null
          id: string
          kind: Database["public"]["Enums"]["music_video_promo_kind"]
          link: string | null
          music_video_id: string
          notes: string | null
          platform: Database["public"]["Enums"]["platform_enum"]
          starts_at: string
          time_zone: string
          updated_at: string
        }
        SetofOptions: {
          from: "*"
          to: "music_video_promo_events"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      music_video_catalogs: {
        Args: Record<PropertyKey, never>
        Returns: Database["public"]["CompositeTypes"]["music_video_catalog_set"][]
        SetofOptions: {
          from: "*"
          to: "music_video_catalog_set"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      music_video_chart_history: {
        Args: { chart?: string; music_video_id: string }
        Returns: Database["public"]["CompositeTypes"]["music_video_chart_week"][]
        SetofOptions: {
          from: "*"
          to: "music_video_chart_week"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      music_video_concept_suggestions: {
        Args: { max_results?: number; release_id: string }
        Returns: Database["public"]["CompositeTypes"]["music_video_concept_suggestion"][]
        SetofOptions: {
          from: "*"
          to: "music_video_concept_suggestion"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      music_video_deep_link: {
        Args: {
          music_video_id?: string
          page_size?: number
          release_id: string
        }
        Returns: Database["public"]["CompositeTypes"]["music_video_deep_link_view"][]
        SetofOptions: {
          from: "*"
          to: "music_video_deep_link_view"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      music_video_import_errors: {
        Args: { after_line?: number; import_id: string; page_size?: number }
        Returns: Database["public"]["CompositeTypes"]["music_video_import_error"][]
        SetofOptions: {
          from: "*"
          to: "music_video_import_error"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      music_video_metrics_history: {
        Args: {
          collected_from?: string
          collected_to?: string
          cursor?: string
          id: string
          page_size?: number
          platforms?: Database["public"]["Enums"]["platform_enum"][]
        }
        Returns: Database["public"]["CompositeTypes"]["music_video_metric_sample"][]
        SetofOptions: {
          from: "*"
          to: "music_video_metric_sample"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      music_video_release_timeline: {
        Args: {
          as_of?: string
          from_date?: string
          release_id: string
          to_date?: string
        }
        Returns: Database["public"]["CompositeTypes"]["music_video_timeline_item"][]
        SetofOptions: {
          from: "*"
          to: "music_video_timeline_item"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      music_video_resume_draft: {
        Args: { release_id: string }
        Returns: Database["public"]["CompositeTypes"]["music_video_draft_ref"][]
        SetofOptions: {
          from: "*"
          to: "music_video_draft_ref"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      music_video_status_counts: {
        Args: { release_id: string }
        Returns: Database["public"]["CompositeTypes"]["music_video_status_count"][]
        SetofOptions: {
          from: "*"
          to: "music_video_status_count"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      music_video_trends: {
        Args: {
          days?: number
          id: string
          platforms?: Database["public"]["Enums"]["platform_enum"][]
        }
        Returns: Database["public"]["CompositeTypes"]["music_video_trend"][]
        SetofOptions: {
          from: "*"
          to: "music_video_trend"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      override_music_video_metric: {
        Args: {
          chart_position?: number
          comments_total?: number
          favorites_total?: number
          likes_total?: number
          metric_id: string
          reason: string
          shares_total?: number
          views_total?: number
        }
        Returns: {
          chart_position: number | null
          collected_at: string
          comments_total: number | null
          created_at: string
          deleted_at: string | null
          detail: NonNullable<Json>
          external_reference: string | null
          favorites_total: number | null
          flags: string[]
          id: string
          import_batch_id: string | null
          likes_total: number | null
          music_video_id: string
          platform: Database["public"]["Enums"]["platform_enum"]
          shares_total: number | null
          source: string | null
          synced_at: string
          updated_at: string
          views_total: number | null
        }
        SetofOptions: {
          from: "*"
          to: "music_video_metrics"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      reimport_music_video_import: {
        Args: { import_id: string; reason: string }
        Returns: string
      }
      remove_music_video_milestone: {
        Args: { id: string }
        Returns: {
          created_at: string
          created_by: string | null
          done: boolean
          done_at: string | null
          done_by: string | null
          due_date: string
          id: string
          kind: Database["public"]["Enums"]["music_video_milestone_kind"]
          label: string | null
          music_video_id: string
          owner_id: string | null
          updated_at: string
        }
        SetofOptions: {
          from: "*"
          to: "music_video_milestones"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      remove_music_video_shot: {
        Args: { music_video_id: string; shot_id: string }
        Returns: Database["public"]["CompositeTypes"]["music_video_shot_list"]
        SetofOptions: {
          from: "*"
          to: "music_video_shot_list"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      reorder_music_video_shots: {
        Args: { music_video_id: string; shot_ids: Json }
        Returns: Database["public"]["CompositeTypes"]["music_video_shot_list"]
        SetofOptions: {
          from: "*"
          to: "music_video_shot_list"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      request_music_video_chart_backfill: {
        Args: { music_video_id: string; weeks?: number }
        Returns: Database["public"]["CompositeTypes"]["music_video_chart_backfill_request"]
        SetofOptions: {
          from: "*"
          to: "music_video_chart_backfill_request"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      request_music_video_export: {
        Args: {
          format: Database["public"]["Enums"]["export_format_enum"]
          release_id: string
        }
        Returns: Database["public"]["CompositeTypes"]["music_video_export_request"]
        SetofOptions: {
          from: "*"
          to: "music_video_export_request"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      request_music_video_metrics_sync: {
        Args: { id: string }
        Returns: Database["public"]["CompositeTypes"]["music_video_sync_request"]
        SetofOptions: {
          from: "*"
          to: "music_video_sync_request"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      request_music_video_shotlist_export: {
        Args: {
          format: Database["public"]["Enums"]["export_format_enum"]
          music_video_id: string
        }
        Returns: Database["public"]["CompositeTypes"]["music_video_export_request"]
        SetofOptions: {
          from: "*"
          to: "music_video_export_request"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      rollback_music_video_import: {
        Args: { import_id: string; reason: string }
        Returns: Database["public"]["CompositeTypes"]["music_video_import_rollback"]
        SetofOptions: {
          from: "*"
          to: "music_video_import_rollback"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      save_music_video_draft: {
        Args: {
          id?: string
          patch?: Json
          release_id?: string
          wizard_state?: Json
          wizard_step?: string
        }
        Returns: Database["public"]["CompositeTypes"]["music_video_panel"]
        SetofOptions: {
          from: "*"
          to: "music_video_panel"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      schedule_music_video_promo: {
        Args: {
          kind: Database["public"]["Enums"]["music_video_promo_kind"]
          link?: string
          music_video_id: string
          notes?: string
          platform: Database["public"]["Enums"]["platform_enum"]
          starts_at: string
          time_zone: string
        }
        Returns: {
          cancelled_at: string | null
          cancelled_by: string | null
          created_at: string
          created_by: string | null
          id: string
          kind: Database["public"]["Enums"]["music_video_promo_kind"]
          link: string | null
          music_video_id: string
          notes: string | null
          platform: Database["public"]["Enums"]["platform_enum"]
          starts_at: string
          time_zone: string
          updated_at: string
        }
        SetofOptions: {
          from: "*"
          to: "music_video_promo_events"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      set_music_video_budget_actuals: {
        Args: { actuals: Json; music_video_id: string }
        Returns: Database["public"]["CompositeTypes"]["music_video_panel"]
        SetofOptions: {
          from: "*"
          to: "music_video_panel"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      set_music_video_platform_targets: {
        Args: {
          music_video_id: string
          sync_strategy?: Database["public"]["Enums"]["sync_strategy_enum"]
          targets: Json
        }
        Returns: Database["public"]["CompositeTypes"]["music_video_panel"]
        SetofOptions: {
          from: "*"
          to: "music_video_panel"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      submit_music_video: {
        Args: { id: string }
        Returns: Database["public"]["CompositeTypes"]["music_video_panel"]
        SetofOptions: {
          from: "*"
          to: "music_video_panel"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      update_music_video: {
        Args: { id: string; patch: Json }
        Returns: Database["public"]["CompositeTypes"]["music_video_panel"]
        SetofOptions: {
          from: "*"
          to: "music_video_panel"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      update_music_video_cast_assignment: {
        Args: {
          assignment_id: string
          music_video_id: string
          patch?: Json
          remove?: boolean
        }
        Returns: Json
      }
      update_music_video_milestone: {
        Args: {
          clear_owner?: boolean
          due_date?: string
          id: string
          label?: string
          owner_id?: string
        }
        Returns: {
          created_at: string
          created_by: string | null
          done: boolean
          done_at: string | null
          done_by: string | null
          due_date: string
          id: string
          kind: Database["public"]["Enums"]["music_video_milestone_kind"]
          label: string | null
          music_video_id: string
          owner_id: string | null
          updated_at: string
        }
        SetofOptions: {
          from: "*"
          to: "music_video_milestones"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      update_music_video_shot: {
        Args: { music_video_id: string; patch: Json; shot_id: string }
        Returns: Database["public"]["CompositeTypes"]["music_video_shot_list"]
        SetofOptions: {
          from: "*"
          to: "music_video_shot_list"
          isOneToOne: true
          isSetofReturn: false
        }
      }
    }
    Enums: {
      export_format_enum: "csv" | "pdf"
      import_status_enum:
        | "pending"
        | "processing"
        | "succeeded"
        | "failed"
        | "partially_failed"
      music_video_milestone_kind:
        | "shoot_start"
        | "shoot_end"
        | "edit_lock"
        | "picture_lock"
        | "delivery"
        | "release"
        | "promo"
        | "custom"
      music_video_promo_kind:
        | "premiere"
        | "teaser"
        | "tv_spot"
        | "social_push"
        | "interview"
      music_video_timeline_source: "video" | "milestone" | "promo_event"
      platform_enum:
        | "youtube"
        | "mtv"
        | "vevo"
        | "tiktok"
        | "instagram"
        | "regional_tv"
        | "other"
      quality_tier_enum: "indie" | "standard" | "premium" | "cinematic"
      shot_size_enum: "ECU" | "CU" | "MCU" | "MS" | "WS" | "EWS"
      shot_status_enum: "planned" | "shot" | "cut"
      sync_strategy_enum: "manual" | "scheduled" | "webhook"
      video_status_enum:
        | "draft"
        | "planned"
        | "in_production"
        | "post_production"
        | "released"
        | "archived"
    }
    CompositeTypes: {
      music_video_card: {
        id: string | null
        release_id: string | null
        title: string | null
        slug: string | null
        status: Database["public"]["Enums"]["video_status_enum"] | null
        theme_name: string | null
        art_style_name: string | null
        budget_estimate: number | null
        budget_band_name: string | null
        budget_currency_code: string | null
        kpi_view_target: number | null
        kpi_chart_target: string | null
        kpi_chart_target_label: string | null
        views_total: number | null
        views_by_platform: Json | null
        chart_position: number | null
        chart_source: string | null
        last_sync_status:
          | Database["public"]["Enums"]["import_status_enum"]
          | null
        last_sync_source: string | null
        last_sync_created_at: string | null
        last_sync_completed_at: string | null
        created_at: string | null
        updated_at: string | null
        next_cursor: string | null
      }
      music_video_catalog_set: {
        version: number | null
        etag: string | null
        themes:
          | Database["public"]["Tables"]["music_video_themes"]["Row"][]
          | null
        art_styles:
          | Database["public"]["Tables"]["music_video_art_styles"]["Row"][]
          | null
        budgets:
          | Database["public"]["Tables"]["music_video_budgets"]["Row"][]
          | null
        quality_tiers:
          | Database["public"]["Tables"]["music_video_quality_tiers"]["Row"][]
          | null
        cast_options:
          | Database["public"]["Tables"]["music_video_cast_options"]["Row"][]
          | null
        chart_sources:
          | Database["public"]["Tables"]["music_video_chart_sources"]["Row"][]
          | null
        settings: Json | null
      }
      music_video_chart_backfill_request: {
        import_id: string | null
        music_video_id: string | null
        status: Database["public"]["Enums"]["import_status_enum"] | null
        created: boolean | null
        backfill_weeks: number | null
      }
      music_video_chart_week: {
        week_start: string | null
        on_chart: boolean | null
        chart_position: number | null
        chart: string | null
        entry_kind: string | null
        metric_id: string | null
        import_batch_id: string | null
        position_id: string | null
        feed_peak_rank: number | null
        feed_previous_rank: number | null
        feed_weeks_on_chart: number | null
        feed_consistent: boolean | null
        first_week: string | null
        last_week: string | null
        peak_position: number | null
        peak_week: string | null
        weeks_on_chart: number | null
        weeks_off_chart: number | null
        current_entry_kind: string | null
        current_position: number | null
        since_debut_peak_position: number | null
        since_debut_weeks_on_chart: number | null
        since_debut_source: string | null
      }
      music_video_concept_suggestion: {
        suggestion_rank: number | null
        theme_id: string | null
        theme_name: string | null
        theme_description: string | null
        theme_genre_tags: string[] | null
        art_style_id: string | null
        art_style_name: string | null
        art_style_color_palette: Json | null
        score: number | null
        matched_tags: string[] | null
        release_genres: string[] | null
      }
      music_video_deep_link_view: {
        release_id: string | null
        empty: boolean | null
        highlight_id: string | null
        highlight_status:
          | Database["public"]["Enums"]["video_status_enum"]
          | null
        highlight_reason: string | null
        highlight_on_board: boolean | null
        requested_id: string | null
        requested_found: boolean | null
        board: Database["public"]["CompositeTypes"]["music_video_card"][] | null
        status_counts:
          | Database["public"]["CompositeTypes"]["music_video_status_count"][]
          | null
        resume_draft:
          | Database["public"]["CompositeTypes"]["music_video_draft_ref"]
          | null
      }
      music_video_deletion: {
        id: string | null
        release_id: string | null
        deleted: boolean | null
        storage_cleanup_job_id: string | null
      }
      music_video_draft_ref: {
        id: string | null
        title: string | null
        slug: string | null
        wizard_step: string | null
        wizard_state: Json | null
        updated_at: string | null
      }
      music_video_export_request: {
        id: string | null
        release_id: string | null
        format: Database["public"]["Enums"]["export_format_enum"] | null
        status: Database["public"]["Enums"]["import_status_enum"] | null
        created: boolean | null
        kind: string | null
        music_video_id: string | null
      }
      music_video_import_error: {
        line: number | null
        column_name: string | null
        raw_value: string | null
        reason: string | null
        total: number | null
        next_after_line: number | null
      }
      music_video_import_rollback: {
        import_id: string | null
        status: Database["public"]["Enums"]["import_status_enum"] | null
        previous_status:
          | Database["public"]["Enums"]["import_status_enum"]
          | null
        rows_deleted: number | null
        chart_positions_deleted: number | null
      }
      music_video_metric_sample: {
        id: string | null
        platform: Database["public"]["Enums"]["platform_enum"] | null
        views_total: number | null
        likes_total: number | null
        shares_total: number | null
        comments_total: number | null
        favorites_total: number | null
        chart_position: number | null
        source: string | null
        collected_at: string | null
        synced_at: string | null
        external_reference: string | null
        import_batch_id: string | null
        detail: Json | null
        flags: string[] | null
        next_cursor: string | null
      }
      music_video_panel: {
        id: string | null
        release_id: string | null
        title: string | null
        slug: string | null
        status: Database["public"]["Enums"]["video_status_enum"] | null
        budget_estimate: number | null
        quality_tier: Database["public"]["Enums"]["quality_tier_enum"] | null
        target_release_date: string | null
        shoot_start_date: string | null
        shoot_end_date: string | null
        kpi_view_target: number | null
        kpi_chart_target: string | null
        primary_platform: Database["public"]["Enums"]["platform_enum"] | null
        sync_strategy: Database["public"]["Enums"]["sync_strategy_enum"] | null
        video_theme_id: string | null
        art_style_id: string | null
        budget_band_id: string | null
        narrative_outline: string | null
        promo_only: boolean | null
        wizard_state: Json | null
        wizard_step: string | null
        submitted_at: string | null
        spotify_track_uri: string | null
        apple_music_id: string | null
        isrc: string | null
        artist_name: string | null
        created_by: string | null
        created_at: string | null
        updated_at: string | null
        theme: Json | null
        art_style: Json | null
        budget_band: Json | null
        chart_source: Json | null
        line_items: Json | null
        cast_assignments: Json | null
        platform_targets: Json | null
        moodboards: Json | null
        latest_metrics: Json | null
        latest_imports: Json | null
        status_history: Json | null
        budget: Json | null
        budget_actuals: Json | null
        milestones: Json | null
        promo_events: Json | null
        warnings: Json | null
        availability_conflicts: Json | null
        open_problems: Json | null
      }
      music_video_shot_cast_member: {
        assignment_id: string | null
        name: string | null
        role: string | null
      }
      music_video_shot_list: {
        music_video_id: string | null
        title: string | null
        shot_count: number | null
        total_duration_seconds: number | null
        shots:
          | Database["public"]["CompositeTypes"]["music_video_shot_row"][]
          | null
        shot:
          | Database["public"]["CompositeTypes"]["music_video_shot_row"]
          | null
        removed_shot_id: string | null
      }
      music_video_shot_row: {
        id: string | null
        shot_number: number | null
        scene: string | null
        description: string | null
        shot_size: Database["public"]["Enums"]["shot_size_enum"] | null
        angle: string | null
        movement: string | null
        lens: string | null
        location: string | null
        duration_seconds: number | null
        status: Database["public"]["Enums"]["shot_status_enum"] | null
        cast:
          | Database["public"]["CompositeTypes"]["music_video_shot_cast_member"][]
          | null
        updated_at: string | null
      }
      music_video_status_count: {
        status: Database["public"]["Enums"]["video_status_enum"] | null
        videos: number | null
      }
      music_video_sync_job: {
        id: string | null
        source: string | null
        status: Database["public"]["Enums"]["import_status_enum"] | null
        created: boolean | null
      }
      music_video_sync_plan: {
        id: string | null
        run_date: string | null
        quota_day: string | null
        planned_at: string | null
        runs: number | null
        last_run_at: string | null
        daily_budget: number | null
        units_left: number | null
        scheduled_videos: number | null
        calls_needed: number | null
        planned_videos: number | null
        calls_planned: number | null
        planned_by_reason: Json | null
        skipped_videos: number | null
        skipped_by_reason: Json | null
        round_robin_nights: number | null
        weekly_rotation_met: boolean | null
        jobs_created: number | null
        jobs_reused: number | null
        jobs_already_enqueued: number | null
      }
      music_video_sync_request: {
        music_video_id: string | null
        import_ids: string[] | null
        imports:
          | Database["public"]["CompositeTypes"]["music_video_sync_job"][]
          | null
      }
      music_video_timeline_item: {
        music_video_id: string | null
        date: string | null
        kind: Database["public"]["Enums"]["music_video_milestone_kind"] | null
        source:
          | Database["public"]["Enums"]["music_video_timeline_source"]
          | null
        id: string | null
        label: string | null
        owner_id: string | null
        done: boolean | null
        done_at: string | null
        overdue: boolean | null
        starts_at: string | null
        time_zone: string | null
        platform: Database["public"]["Enums"]["platform_enum"] | null
      }
      music_video_trend: {
        platform: Database["public"]["Enums"]["platform_enum"] | null
        range_from: string | null
        range_to: string | null
        days: number | null
        latest_at: string | null
        latest_views: number | null
        velocity_views_per_day: number | null
        velocity_views_gained: number | null
        velocity_from: string | null
        velocity_to: string | null
        velocity_span_days: number | null
        dates: string[] | null
        views_total: number[] | null
        delta: number[] | null
        gap_days: number[] | null
        per_day: number[] | null
        chart_position: number[] | null
        source: string[] | null
        flagged: Json | null
        flagged_days: number | null
        kpi_view_target: number | null
        kpi_views_total: number | null
        kpi_velocity_7d: number | null
        kpi_latest_at: string | null
        kpi_state: string | null
        kpi_views_remaining: number | null
        kpi_days_to_target: number | null
        kpi_projected_on: string | null
      }
    }
  }
}

type DatabaseWithoutInternals = Omit<Database, "__InternalSupabase">

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] &
        DefaultSchema["Views"])
    ? (DefaultSchema["Tables"] &
        DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
        Row: infer R
      }
      ? R
      : never
    : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Insert: infer I
      }
      ? I
      : never
    : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Update: infer U
      }
      ? U
      : never
    : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends (DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never) = never,
> = DefaultSchemaEnumNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
    ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
    : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends (PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never) = never,
> = PublicCompositeTypeNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
    ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
    : never

export const Constants = {
  public: {
    Enums: {
      export_format_enum: ["csv", "pdf"],
      import_status_enum: [
        "pending",
        "processing",
        "succeeded",
        "failed",
        "partially_failed",
      ],
      music_video_milestone_kind: [
        "shoot_start",
        "shoot_end",
        "edit_lock",
        "picture_lock",
        "delivery",
        "release",
        "promo",
        "custom",
      ],
      music_video_promo_kind: [
        "premiere",
        "teaser",
        "tv_spot",
        "social_push",
        "interview",
      ],
      music_video_timeline_source: ["video", "milestone", "promo_event"],
      platform_enum: [
        "youtube",
        "mtv",
        "vevo",
        "tiktok",
        "instagram",
        "regional_tv",
        "other",
      ],
      quality_tier_enum: ["indie", "standard", "premium", "cinematic"],
      shot_size_enum: ["ECU", "CU", "MCU", "MS", "WS", "EWS"],
      shot_status_enum: ["planned", "shot", "cut"],
      sync_strategy_enum: ["manual", "scheduled", "webhook"],
      video_status_enum: [
        "draft",
        "planned",
        "in_production",
        "post_production",
        "released",
        "archived",
      ],
    },
  },
} as const

